// The tool's version: the package's, baked in by the build (scripts/build.mjs defines __VERSION__); "0.0.0-dev" when
// run from source (tests).
declare const __VERSION__: string;

export const TOOL_VERSION: string = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0-dev";
