{% load static %}// Altavoz service worker: plays guides the listener chose to keep, without a connection.
// Registered only when a listener presses "Guardar para escuchar sin internet"
// (static/js/listen.js); that page puts the guide's files in the cache itself.
// Here: pages are network-first with the saved copy as fallback (also when the
// guide is no longer published: its page says so); saved audio is served from the
// cache, sliced for Range requests (206) so players can seek. Nothing is cached on
// its own: only guides the listener saved are refreshed (static/js/saved.js), when
// one of our pages opens online, at most every few minutes. The admin and API are
// never touched.
"use strict";
importScripts("{% static 'js/saved.js' %}");
var CACHE = "{{ cache_name }}";
var PASS_THROUGH = /^\/(admin|api|documents|feeds)\//;
var MEDIA = "{{ media_url }}";
var STATIC = "{{ static_url }}";
var PAGE_TIMEOUT_MS = 6000;
var REFRESH_EVERY_MS = 5 * 60 * 1000;
var lastRefresh = 0;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || PASS_THROUGH.test(url.pathname)) return;
  if (request.mode === "navigate") {
    var answer = page(request);
    event.respondWith(answer);
    event.waitUntil(answer.then(refreshWhenOnline, function () { /* offline */ }));
  } else if (url.pathname.indexOf(MEDIA) === 0) {
    event.respondWith(media(request));
  } else if (url.pathname.indexOf(STATIC) === 0) {
    event.respondWith(fromNetworkElseSaved(request));
  }
});

function saved(request, options) {
  return caches.open(CACHE).then(function (cache) { return cache.match(request, options); });
}

// Online again (a page came from the network): saved guides look for a newer version.
function refreshWhenOnline(response) {
  if (!response || response.status >= 500 || Date.now() - lastRefresh < REFRESH_EVERY_MS) return null;
  lastRefresh = Date.now();
  return self.altavozSaved.refreshAll(CACHE).then(function (failed) {
    if (failed) lastRefresh = 0;  // still offline: try again with the next page
  }, function () { lastRefresh = 0; });
}

// The network first; the saved copy if the network fails or hangs, or if the guide is
// no longer published (404, 410): what she saved stays hers to hear or delete.
function page(request) {
  return new Promise(function (resolve, reject) {
    var settled = false;
    function fallback(error) {
      saved(request, { ignoreSearch: true }).then(function (copy) {
        if (settled) return;
        if (copy) { settled = true; resolve(copy); }
        else if (error) { settled = true; reject(error); }
      });
    }
    var timer = setTimeout(function () { fallback(null); }, PAGE_TIMEOUT_MS);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      if (settled) return;
      if (response.status !== 404 && response.status !== 410) { settled = true; resolve(response); return; }
      saved(request, { ignoreSearch: true }).then(function (copy) {
        if (!settled) { settled = true; resolve(copy || response); }
      });
    }, function (error) {
      clearTimeout(timer);
      fallback(error);
    });
  });
}

function fromNetworkElseSaved(request) {
  return fetch(request).catch(function (error) {
    return saved(request).then(function (copy) {
      if (copy) return copy;
      throw error;
    });
  });
}

// Saved audio and captions never change (their names carry their content hash).
function media(request) {
  return saved(request.url).then(function (copy) {
    if (!copy) return fetch(request);
    var range = request.headers.get("Range");
    return range ? slice(copy, range) : copy;
  });
}

function slice(response, header) {
  var match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  var type = response.headers.get("Content-Type") || "application/octet-stream";
  return response.blob().then(function (blob) {
    var size = blob.size;
    if (!match || (match[1] === "" && match[2] === "")) {
      return new Response(blob, { status: 200, headers: { "Content-Type": type, "Content-Length": String(size), "Accept-Ranges": "bytes" } });
    }
    var start, end;
    if (match[1] === "") {
      start = Math.max(0, size - parseInt(match[2], 10));
      end = size - 1;
    } else {
      start = parseInt(match[1], 10);
      end = match[2] === "" ? size - 1 : Math.min(parseInt(match[2], 10), size - 1);
    }
    if (start >= size || end < start) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
    }
    return new Response(blob.slice(start, end + 1, type), {
      status: 206,
      statusText: "Partial Content",
      headers: {
        "Content-Type": type,
        "Content-Length": String(end - start + 1),
        "Content-Range": "bytes " + start + "-" + end + "/" + size,
        "Accept-Ranges": "bytes"
      }
    });
  });
}
