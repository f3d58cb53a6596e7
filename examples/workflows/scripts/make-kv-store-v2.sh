#!/bin/sh
# Makes kv-store v2 for hot-redeploy-keeps-state.yml: a copy of the bundled template with
# one more view, `version`. Prints the copy's folder (the workflow captures it).
set -eu
dir=.devnet/examples/kv-store-v2
rm -rf "$dir"
mkdir -p "$dir"
cp -R templates/kv-store/src templates/kv-store/package.json templates/kv-store/tsconfig.json "$dir"
# Drop the last line (the brace closing the logic class), then add the view and the brace.
sed '$d' templates/kv-store/src/index.ts > "$dir/src/index.ts"
cat >> "$dir/src/index.ts" <<'TS'

  /** Added in v2. */
  @View()
  version(): number {
    return 2;
  }
}
TS
echo "$dir"
