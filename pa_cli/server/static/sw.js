// pa's service worker: keeps the page itself (HTML, scripts, styles) readable offline.
// API calls are never cached here: the page keeps the last routine results it showed in localStorage.
"use strict";

const CACHE = "pa-shell-v1";
const SHELL = [
  "/",
  "/static/app.css",
  "/static/app.js",
  "/static/routines.js",
  "/static/markdown.js",
  "/static/icon.svg",
  "/static/vendor/marked.umd.js",
  "/static/vendor/purify.min.js",
  "/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The shell: network first (a new version wins), the cached copy when offline.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  const key = event.request.mode === "navigate" ? "/" : url.pathname;
  if (!SHELL.includes(key)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key)),
  );
});
