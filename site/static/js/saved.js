// Guides saved for offline listening, and how they refresh themselves (issue #14).
// Used by the page (listen.js: save, delete, check on open and when the phone comes
// back online) and by the service worker (sw.js: a check when any of our pages opens
// online). No DOM here: plain ES5 that runs in both.
//
// A saved guide is its files in the one offline cache plus a record, kept in the same
// cache under the address of its manifest (/guardado/<id>.json: cms/views.py): the
// manifest it was saved or last refreshed from, the files it holds, the audio variant
// the listener chose and what the last refresh changed. Nothing is sent to the server
// but the requests themselves: no identifier, no cookie.
//
// A refresh asks the manifest; if its page token or audio differs from the record, it
// downloads what the new copy needs and the phone lacks (the page, its captions, the
// new audio of the chosen variant, a stylesheet or script renamed by a deploy), all of
// it in full before anything is replaced; then it writes the page and the record, and
// only then deletes the files no saved guide uses any more. A refresh that fails midway
// keeps the old copy whole. A manifest answering 404 or 410 means the guide is no
// longer published here: the record says so, and the copy stays until she deletes it.
(function (scope) {
  "use strict";
  // The audio of a refresh is fetched with ?actualizar=1: neither a play nor a new save
  // in the server's reach counts (audio/reach.py).
  var REFRESH_FLAG = "actualizar=1";
  var SAVE_FLAG = "guardar=1";

  function withFlag(url, flag) { return url + (url.indexOf("?") < 0 ? "?" : "&") + flag; }
  function isRecord(url) { return /^\/guardado\/\d+\.json$/.test(url); }
  function pathOf(request) { return new URL(request.url).pathname + new URL(request.url).search; }

  // One refresh at a time per guide, between the page and the worker alike.
  function locked(name, work) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("altavoz " + name, work) : work();
  }

  // The offline cache if this phone saved anything (opening it would make an empty one).
  function openIfAny(cacheName) {
    return scope.caches.has(cacheName).then(function (has) { return has ? scope.caches.open(cacheName) : null; });
  }

  function readRecord(cache, url) {
    return cache.match(url).then(function (hit) { return hit ? hit.json() : null; });
  }

  function writeRecord(cache, url, record) {
    return cache.put(url, new Response(JSON.stringify(record), { headers: { "Content-Type": "application/json" } }));
  }

  function records(cache) {
    return cache.keys().then(function (requests) {
      var urls = requests.map(pathOf).filter(isRecord);
      return Promise.all(urls.map(function (url) { return readRecord(cache, url); }));
    });
  }

  // null: the guide is no longer published here.
  function fetchManifest(url) {
    return fetch(url, { cache: "no-cache", credentials: "omit" }).then(function (response) {
      if (response.status === 404 || response.status === 410) return null;
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  // The whole body, in memory, before anything is replaced: a cut connection fails here.
  function download(url, flag, bytes) {
    return fetch(flag ? withFlag(url, flag) : url, { cache: "no-cache", credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      var headers = new Headers();
      ["Content-Type", "ETag", "Last-Modified"].forEach(function (name) {
        if (response.headers.get(name)) headers.set(name, response.headers.get(name));
      });
      return response.blob().then(function (blob) {
        if (bytes && blob.size !== bytes) throw new Error(url + ": incomplete");
        return { url: url, status: response.status, response: new Response(blob, { status: 200, headers: headers }) };
      });
    });
  }

  // What a page needs besides its audio: stylesheets, scripts, the captions track.
  function pageAssets(html) {
    var found = [];
    var tags = html.match(/<(link|script|track)\b[^>]*>/g) || [];
    tags.forEach(function (tag) {
      if (/^<link/.test(tag) && !/rel="stylesheet"/.test(tag)) return;
      var match = /\s(?:href|src)="([^"]+)"/.exec(tag);
      if (match && match[1].charAt(0) === "/") found.push(match[1].replace(/&amp;/g, "&"));
    });
    return found;
  }

  function variantsOf(record, manifest) {
    var chosen = (record.variants || []).filter(function (name) { return manifest.variants[name]; });
    if (!chosen.length && manifest.variants.listen) chosen = ["listen"];
    return chosen;
  }

  function isCurrent(record, manifest) {
    return record.hash === manifest.page.hash && variantsOf(record, manifest).every(function (name) {
      return (record.files || []).indexOf(manifest.variants[name].audio) >= 0;
    });
  }

  // Section id → its change over the versions after ``from`` up to ``to``, in reading order.
  function changesBetween(manifest, from) {
    if (!from || !manifest.version) return null;
    var versions = (manifest.versions || []).filter(function (v) { return v.number > from; });
    if (versions.length !== manifest.version - from) return null;  // older than described
    var byId = {};
    var order = [];
    versions.reverse().forEach(function (version) {
      version.changed_sections.forEach(function (change) {
        var known = byId[change.id];
        if (!(change.id in byId)) order.push(change.id);
        var kind = change.change;
        if (known && known.change === "added") kind = change.change === "removed" ? null : "added";
        byId[change.id] = kind ? { heading: change.heading, change: kind, text: change.text || (known && known.text) } : null;
      });
    });
    return order.map(function (id) { return byId[id]; }).filter(Boolean);
  }

  function putAll(cache, downloads) {
    return Promise.all(downloads.map(function (d) { return cache.put(d.url, d.response); }));
  }

  // Files of the old copy that no saved guide holds any more.
  function dropUnused(cache, oldFiles) {
    return records(cache).then(function (all) {
      var used = {};
      all.forEach(function (record) { (record && record.files || []).forEach(function (url) { used[url] = true; }); });
      return Promise.all(oldFiles.filter(function (url) { return !used[url]; }).map(function (url) { return cache.delete(url); }));
    });
  }

  function replace(cache, url, record, manifest) {
    var variants = variantsOf(record, manifest);
    // Kept where she saved it (her link, her history) and, if its address changed, at the new one.
    var savedAt = record.page || (record.files || [])[0] || manifest.page.url;
    var pages = savedAt === manifest.page.url ? [savedAt] : [savedAt, manifest.page.url];
    return download(manifest.page.url, null).then(function (page) {
      return page.response.clone().text().then(function (html) {
        var files = pages.concat(pageAssets(html));
        variants.forEach(function (name) { files.push(manifest.variants[name].audio); });
        files = files.filter(function (file, i) { return files.indexOf(file) === i; });
        return Promise.all(files.slice(pages.length).map(function (file) {
          return cache.match(file).then(function (hit) {
            if (hit) return null;
            var audio = variants.filter(function (name) { return manifest.variants[name].audio === file; })[0];
            return download(file, audio ? REFRESH_FLAG : null, audio ? manifest.variants[audio].bytes : 0);
          });
        })).then(function (fetched) {
          var next = {
            guide: manifest.guide, page: savedAt, hash: manifest.page.hash, version: manifest.version,
            variants: variants, files: files, gone: false,
            updated: { at: new Date().toISOString(), from: record.version, to: manifest.version, sections: changesBetween(manifest, record.version) }
          };
          // New files under their own names first, then the page, then the record: until the
          // page is replaced the old copy is whole; its files go last.
          return putAll(cache, fetched.filter(Boolean))
            .then(function () {
              return Promise.all(pages.map(function (path) { return cache.put(path, page.response.clone()); }));
            })
            .then(function () { return writeRecord(cache, url, next); })
            .then(function () {
              var old = (record.files || []).filter(function (file) { return files.indexOf(file) < 0; });
              return dropUnused(cache, old);
            })
            .then(function () { return next; });
        });
      });
    });
  }

  // Resolves to {state: "none" | "current" | "updated" | "gone", record}; rejects when offline or
  // the server fails (the saved copy is then untouched).
  function refresh(cacheName, url) {
    return locked(url, function () {
      return openIfAny(cacheName).then(function (cache) {
        return (cache ? readRecord(cache, url) : Promise.resolve(null)).then(function (record) {
          if (!record) return { state: "none", record: null };
          return fetchManifest(url).then(function (manifest) {
            if (!manifest || isCurrent(record, manifest)) {
              var gone = !manifest;
              if (record.gone === gone) return { state: gone ? "gone" : "current", record: record };
              record.gone = gone;
              return writeRecord(cache, url, record).then(function () { return { state: gone ? "gone" : "current", record: record }; });
            }
            return replace(cache, url, record, manifest).then(function (next) { return { state: "updated", record: next }; });
          });
        });
      });
    });
  }

  // Every saved guide, one after the other (the worker's check). Resolves to how many
  // could not be checked (offline, a server error): they are left for the next time.
  function refreshAll(cacheName) {
    return openIfAny(cacheName).then(function (cache) { return cache ? cache.keys() : []; }).then(function (requests) {
      var failed = 0;
      return requests.map(pathOf).filter(isRecord).reduce(function (chain, url) {
        return chain.then(function () { return refresh(cacheName, url).catch(function () { failed += 1; }); });
      }, Promise.resolve()).then(function () { return failed; });
    });
  }

  // A new save: the files (the audio with ?guardar=1, counted as a save), then the record.
  function save(cacheName, url, files, variants, audioFiles) {
    return locked(url, function () {
      return fetchManifest(url).catch(function () { return null; }).then(function (manifest) {
        return Promise.all(files.map(function (file) {
          return download(file, audioFiles.indexOf(file) >= 0 ? SAVE_FLAG : null, 0);
        })).then(function (fetched) {
          return scope.caches.open(cacheName).then(function (cache) {
            return putAll(cache, fetched).then(function () {
              return writeRecord(cache, url, {
                guide: manifest && manifest.guide, page: files[0], hash: manifest && manifest.page.hash,
                version: manifest && manifest.version, variants: variants, files: files, gone: false, updated: null
              });
            });
          });
        });
      });
    });
  }

  // Deletes the guide's record and the files no other saved guide holds; resolves to the
  // number of pages still saved.
  function remove(cacheName, url, files) {
    return locked(url, function () {
      return scope.caches.open(cacheName).then(function (cache) {
        return readRecord(cache, url).then(function (record) {
          var mine = files.concat(record && record.files || []);
          return cache.delete(url).then(function () { return dropUnused(cache, mine); });
        }).then(function () { return cache.keys(); }).then(function (keys) {
          return keys.map(pathOf).filter(function (path) { return !/^\/(static|media|guardado)\//.test(path); }).length;
        });
      });
    });
  }

  scope.altavozSaved = {
    refresh: refresh,
    refreshAll: refreshAll,
    save: save,
    remove: remove,
    read: function (cacheName, url) {
      return openIfAny(cacheName).then(function (cache) { return cache ? readRecord(cache, url) : null; });
    },
    write: function (cacheName, url, record) {
      return scope.caches.open(cacheName).then(function (cache) { return writeRecord(cache, url, record); });
    }
  };
})(self);
