#!/usr/bin/env node
// The S3 client warns on every start under Node 20 that SDK releases from 2027 will need Node 22. The SDK
// version is pinned here, so the notice says nothing about this installation.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { main } = await import("../dist/cli/main.js");

process.exitCode = await main(process.argv.slice(2));
