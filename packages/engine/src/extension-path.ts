import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The extension as `npm run build:extension` leaves it in this repository. */
export function defaultExtensionPath(): string {
  const path = fileURLToPath(
    new URL("../../../extension/build/release/openduck.duckdb_extension", import.meta.url),
  );
  if (!existsSync(path)) {
    throw new Error(
      `OpenDuck's DuckDB extension is not built (looked for ${path}): run \`npm run build:extension\``,
    );
  }
  return path;
}
