import type { TokenSetting } from "./settings.js";

/**
 * What a person needs to connect: the endpoint and a ready-to-paste ATTACH
 * line. A token the user chose is never echoed (it may end up in logs); the
 * ATTACH line then relies on OPENDUCK_TOKEN, which the extension reads.
 */
export function connectionBanner(options: {
  title: string;
  url: string;
  token: TokenSetting;
  databases: string[];
}): string {
  const { url, token } = options;
  const lines = [options.title, `  endpoint: ${url}`];
  const tokenParam = token.source === "generated" ? `&token=${token.value}` : "";
  if (token.source === "generated") {
    lines.push(
      `  token:    ${token.value}   (generated for this run; pass -t or set OPENDUCK_TOKEN to choose one)`,
    );
  } else {
    lines.push(`  token:    from ${token.source === "flag" ? "-t/--token" : "OPENDUCK_TOKEN"} (not shown)`);
  }
  const databases = options.databases.length > 0 ? options.databases : ["mydb"];
  if (options.databases.length === 0) lines.push("  no databases yet: start with -d NAME to create one");
  lines.push("", "Attach from DuckDB (CLI, Python, Node) with the OpenDuck extension loaded:");
  for (const name of databases) {
    lines.push(`  ATTACH 'openduck:${name}?endpoint=${url}${tokenParam}' AS cloud;`);
  }
  if (token.source !== "generated")
    lines.push("  (with OPENDUCK_TOKEN set to your token in that DuckDB's environment)");
  lines.push("", `Check it: curl -s ${url}/health`, "Stop with Ctrl-C.");
  return lines.join("\n");
}
