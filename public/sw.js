// churnscope's service worker: keeps a copy of the whole site so that the app opens and works
// without a network after one visit. It never sends anything anywhere: it only answers this
// site's own requests from the copy. scripts/precache.sh (a Trunk post_build hook) puts
// VERSION (a hash of every file of the build) and FILES above this line.
const CACHE = `churnscope-${VERSION}`;

self.addEventListener("install", (event) => {
  // cache: "reload" skips the HTTP cache, so the copy is all from this one build.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" })))),
  );
});

// A new version takes over once no tab runs the old one (no skipWaiting), so a page, its
// worker and their wasm always come from one build; older copies are then deleted.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith("churnscope-") && k !== CACHE)
            .map((k) => caches.delete(k)),
        ),
      ),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  // Pages get the cached index.html; files come from the copy, else from the network.
  const key = request.mode === "navigate" ? "./index.html" : request;
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(key, { ignoreSearch: true }))
      .then((hit) => hit || fetch(request)),
  );
});
