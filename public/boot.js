// Starts churnscope. Trunk writes the hashed file names into this tag's data attributes
// (Trunk.toml `pattern_script`), so the page needs no inline script: the
// Content-Security-Policy allows scripts from this site only.
const tag = document.querySelector("script[data-wasm]");
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
// Offline use: a service worker keeps a copy of the site after the first visit. Browsers
// allow it on https and on localhost/127.0.0.1; elsewhere the app simply needs the network.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js").catch((e) => console.warn("service worker:", e));
}
