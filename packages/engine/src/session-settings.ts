import { Code, ConnectError } from "@connectrpc/connect";

/** The client's session settings a query runs with (QueryOptions.settings). */
export interface SessionSettings {
  timeZone?: string;
  calendar?: string;
}

const known: Record<string, keyof SessionSettings> = { timezone: "timeZone", calendar: "calendar" };

/**
 * Checks the settings a client sent: only TimeZone and Calendar (any case) are
 * forwarded; DuckDB checks their values when the query starts.
 */
export function sessionSettings(settings: Record<string, string>): SessionSettings {
  const result: SessionSettings = {};
  for (const [name, value] of Object.entries(settings)) {
    const key = known[name.toLowerCase()];
    if (key === undefined) {
      throw new ConnectError(
        `session setting "${name}" cannot be forwarded: only TimeZone and Calendar are`,
        Code.InvalidArgument,
      );
    }
    if (value.includes("\0") || value.length > 200) {
      throw new ConnectError(`session setting ${name}: not a valid value`, Code.InvalidArgument);
    }
    result[key] = value;
  }
  return result;
}
