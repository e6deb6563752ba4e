/**
 * The stage's two secrets. SST keeps a secret's value encrypted and puts it, encrypted, only into the
 * functions that link it (`resource.enc` in the function's package, read with `Resource.<Name>.value`).
 *
 * Their values come from the deploying shell: DEPLOY.md has the operator export OPENDUCK_NEON_URL and
 * OPENDUCK_TOKEN before `npx sst deploy` (so every command of the guide also runs offline in the tests).
 * They are passed as SST's "placeholder", the value a secret takes when SST's secret command set none for
 * the stage: a value stored with `sst secret set <Name> <value> --stage <stage>` (or `--fallback`) takes
 * precedence, since the CLI hands stored values to the program as SST_SECRET_<Name>, which the Secret
 * component prefers to the placeholder (platform/src/components/secret.ts). Deploying with another value
 * in the environment changes the secret (for the token: locks out clients holding the old one). With
 * neither set, the deploy fails: "Set a value for <Name> with `sst secret set <Name> <value>`".
 */

/** The pooled Neon connection string (metadata: databases, snapshots, leases). Only the worker links it. */
export const neonUrl = new sst.Secret("NeonUrl", process.env.OPENDUCK_NEON_URL || undefined);

/** The bearer token clients present (`Authorization: Bearer …`). Only the gateway links it. */
export const token = new sst.Secret("Token", process.env.OPENDUCK_TOKEN || undefined);
