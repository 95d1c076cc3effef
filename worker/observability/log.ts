// One structured JSON line per request and per notable event. Never prompts, never keys.
export function logLine(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ t: new Date().toISOString(), ...fields }));
}
