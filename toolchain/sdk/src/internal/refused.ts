/**
 * Upstream APIs the devnet does not serve. Each one's body passes `refused` a marker
 * `__calimero_refused__:<name>`; the bundler keeps a function only where the app calls it,
 * so `devnet build` finds the markers in the bundle and refuses the app, naming each
 * (calimero_devnet/toolchain/refused.py). Never reached at run time.
 */
export function refused(marker: string): never {
  throw new Error(`${marker.slice(marker.indexOf(':') + 1)} is not available on a devnet node`);
}
