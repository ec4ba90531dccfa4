// The listening page, on top of what works without JavaScript: one big play
// button, sections, speed, the sentence being read lit up (from the captions'
// cue ids), resume, lock-screen controls, low-data audio, saving for offline
// listening and sharing. No framework, no other origin; plain ES5 for old phones.
(function () {
  "use strict";
  var audio = document.getElementById("guide-audio");
  var player = document.getElementById("player");
  if (!audio || !player || !audio.canPlayType) return;

  var CACHE = player.getAttribute("data-cache");
  var pageKey = "altavoz:" + location.pathname;
  var playButton = document.getElementById("play-pause");
  var playLabel = playButton.querySelector(".play-label");
  var nowLine = document.getElementById("now-playing");
  var status = document.getElementById("keep-status");
  var trackElement = audio.querySelector("track");
  var sentenceMarks = player.getAttribute("data-cues-match") === "sentence";
  var pendingSeek = null;
  var started = false;
  // The file being played: the element's src becomes a blob: URL while stream.js feeds it.
  var fileSrc = audio.getAttribute("src");
  var streamer = null;
  var plainOnly = {};  // files stream.js gave up on: the plain src plays them from then on
  var lastSaved = 0;
  var userScrolledAt = 0;
  var currentSection = null;
  var lit = [];

  function t(key) { return player.getAttribute("data-t-" + key) || ""; }
  function toArray(list) { return Array.prototype.slice.call(list); }
  function say(text) { if (status) status.textContent = text; }

  // Storage may be off (private mode, full): everything still works without it.
  var store = {
    get: function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set: function (key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* not kept */ } },
    remove: function (key) { try { window.localStorage.removeItem(key); } catch (e) { /* nothing */ } }
  };

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  // Sections in playing order: the intro (title and summary), then each part.
  var sections = toArray(document.querySelectorAll("[data-section][data-start]")).map(function (el) {
    var heading = el.querySelector(".heading-text") || el.querySelector("h1");
    return {
      id: el.getAttribute("data-section"),
      start: parseFloat(el.getAttribute("data-start")),
      el: el,
      heading: heading ? heading.textContent.replace(/\s+/g, " ").trim() : ""
    };
  }).sort(function (a, b) { return a.start - b.start; });

  function position() { return pendingSeek !== null ? pendingSeek : audio.currentTime; }

  function sectionIndexAt(time) {
    var index = 0;
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].start <= time + 0.25) index = i;
    }
    return index;
  }

  // The first play of a file goes through stream.js (a small first request)
  // where the phone can; otherwise, or when it gives up, the plain src plays.
  function streamOptions() {
    var kind = fileSrc === player.getAttribute("data-lowdata-src") ? "lowdata" : "listen";
    var index = (player.getAttribute("data-" + kind + "-index") || "").split(" ").filter(Boolean).map(function (pair) {
      var parts = pair.split(":");
      return [parseFloat(parts[0]), parseInt(parts[1], 10)];
    });
    return {
      src: fileSrc,
      type: player.getAttribute("data-" + kind + "-type"),
      bytes: parseInt(player.getAttribute("data-" + kind + "-bytes"), 10),
      duration: parseFloat(player.getAttribute("data-" + kind + "-duration")),
      index: index
    };
  }

  function playPlainFile(time, playing) {
    streamer = null;
    plainOnly[fileSrc] = true;
    audio.setAttribute("src", fileSrc);
    audio.load();
    if (time > 0) pendingSeek = time;
    if (playing) play();
  }

  function startStreaming() {
    var stream = window.altavozStream;
    // ?flujo=simple: the plain <audio src>, for the benchmark's baseline.
    if (streamer || plainOnly[fileSrc] || audio.readyState > 0 || !stream || /[?&]flujo=simple/.test(location.search)) return;
    var options = streamOptions();
    if (!options.bytes || !stream.supported(options.type)) return;
    // Starting mid-file (resume, a section) needs byte offsets; without them (MP3) the plain src seeks better.
    if (pendingSeek && !options.index.length) return;
    streamer = stream.attach(audio, options, playPlainFile);
  }

  function play() {
    startStreaming();
    var promise = audio.play();
    if (promise && promise.catch) promise.catch(function () { showState(); });
  }

  function seek(time) {
    if (audio.readyState >= 1) {
      audio.currentTime = time;
      pendingSeek = null;
    } else {
      pendingSeek = time; // applied once the file's duration is known
    }
    followPlayback();
  }

  function playFrom(time) { seek(time); play(); }

  audio.addEventListener("loadedmetadata", function () {
    if (pendingSeek !== null) {
      audio.currentTime = pendingSeek;
      pendingSeek = null;
    }
  });

  // --- One big play/pause -------------------------------------------------
  function showState() {
    var playing = !audio.paused && !audio.ended;
    playButton.classList.toggle("is-playing", playing);
    if (playing) playLabel.textContent = t("pause");
    else playLabel.textContent = position() > 1 ? t("resume") : t("play");
  }

  playButton.addEventListener("click", function () {
    if (audio.paused || audio.ended) play();
    else audio.pause();
  });

  // The captions wait for the first sound: at the tap, only audio uses the line.
  audio.addEventListener("playing", function () {
    if (trackElement && trackElement.track && trackElement.track.mode === "disabled") startCaptions();
  });

  audio.addEventListener("play", function () {
    if (!started) {
      started = true;
      startMediaSession();
      document.body.classList.add("is-listening");
    }
    showState();
  });
  audio.addEventListener("pause", function () { showState(); remember(true); });
  audio.addEventListener("ended", function () { store.remove(pageKey + ":t"); showState(); });

  // --- Sections: next / previous / play this part --------------------------
  function goToSection(offset) {
    if (!sections.length) return;
    var time = position();
    var index = sectionIndexAt(time);
    var target = index + offset;
    // "Previous" first goes back to the start of the part being heard.
    if (offset < 0 && time - sections[index].start > 3) target = index;
    target = Math.max(0, Math.min(sections.length - 1, target));
    playFrom(sections[target].start);
  }
  document.getElementById("next-section").addEventListener("click", function () { goToSection(1); });
  document.getElementById("previous-section").addEventListener("click", function () { goToSection(-1); });

  toArray(document.querySelectorAll(".section-play")).forEach(function (button) {
    var native = button.parentNode.querySelector("audio");
    if (native) native.parentNode.removeChild(native); // one player for the whole page
    var duration = button.parentNode.querySelector(".duration");
    if (duration) button.appendChild(duration);
    button.hidden = false;
    button.addEventListener("click", function () { playFrom(parseFloat(button.getAttribute("data-start"))); });
  });

  // --- Speed --------------------------------------------------------------
  var rateButtons = toArray(player.querySelectorAll("[data-rate]"));
  function setRate(rate) {
    audio.defaultPlaybackRate = rate;
    audio.playbackRate = rate;
    rateButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(parseFloat(b.getAttribute("data-rate")) === rate));
    });
  }
  rateButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      var rate = parseFloat(b.getAttribute("data-rate"));
      setRate(rate);
      store.set("altavoz:rate", String(rate));
    });
  });
  var savedRate = parseFloat(store.get("altavoz:rate"));
  if ([0.75, 1, 1.25].indexOf(savedRate) >= 0) setRate(savedRate);

  // --- What is being read: section and sentence ----------------------------
  window.addEventListener("touchmove", function () { userScrolledAt = Date.now(); }, { passive: true });
  window.addEventListener("wheel", function () { userScrolledAt = Date.now(); }, { passive: true });

  function keepInView(el) {
    if (Date.now() - userScrolledAt < 8000) return; // the listener is looking elsewhere
    var rect = el.getBoundingClientRect();
    var top = 80;
    var bottom = window.innerHeight - (document.body.classList.contains("is-listening") ? 130 : 20);
    if (rect.top < top || rect.bottom > bottom) {
      // A listener who asked for less motion gets a jump, not a glide.
      var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      try { el.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" }); } catch (e) { el.scrollIntoView(); }
    }
  }

  function followPlayback() {
    if (!sections.length) return;
    var section = sections[sectionIndexAt(position())];
    if (section === currentSection) return;
    if (currentSection) currentSection.el.classList.remove("is-current");
    currentSection = section;
    section.el.classList.add("is-current");
    nowLine.textContent = t("now") + ": " + section.heading;
    if (!sentenceMarks && started) keepInView(section.el);
  }

  function lightUp(ids) {
    lit.forEach(function (el) { el.classList.remove("is-reading"); });
    lit = [];
    ids.forEach(function (id) {
      if (!/^[\w-]+$/.test(id)) return;
      lit = lit.concat(toArray(document.querySelectorAll('[data-cue="' + id + '"], [data-cues~="' + id + '"]')));
    });
    lit.forEach(function (el) { el.classList.add("is-reading"); });
    if (lit.length) keepInView(lit[0]);
  }

  function startCaptions() {
    // The captions load only once listening starts: no extra data before that.
    if (!trackElement || !trackElement.track) return;
    var track = trackElement.track;
    track.mode = "hidden";
    if (!sentenceMarks) return;
    track.addEventListener("cuechange", function () {
      var cues = track.activeCues || [];
      var ids = [];
      for (var i = 0; i < cues.length; i++) ids.push(cues[i].id);
      lightUp(ids);
    });
  }

  audio.addEventListener("timeupdate", function () {
    followPlayback();
    remember(false);
  });
  audio.addEventListener("seeked", followPlayback);

  // --- Resume where the listener left off (this phone only, no cookies) ---
  function remember(now) {
    if (!started) return;
    var time = audio.currentTime;
    if (!now && Date.now() - lastSaved < 3000) return;
    lastSaved = Date.now();
    if (time > 1 && !audio.ended) store.set(pageKey + ":t", String(Math.round(time * 10) / 10));
  }
  window.addEventListener("pagehide", function () { remember(true); });

  var resumeAt = parseFloat(store.get(pageKey + ":t"));
  if (resumeAt > 1) {
    pendingSeek = resumeAt;
    followPlayback();
    nowLine.textContent += " (" + clock(resumeAt) + ")";
  }

  // --- Lock-screen controls (Media Session) -------------------------------
  // The lock screen shows only the discreet title: anyone may see it.
  function startMediaSession() {
    if (!("mediaSession" in navigator)) return;
    var session = navigator.mediaSession;
    if (window.MediaMetadata) session.metadata = new window.MediaMetadata({ title: player.getAttribute("data-title") });
    var handlers = {
      play: play,
      pause: function () { audio.pause(); },
      previoustrack: function () { goToSection(-1); },
      nexttrack: function () { goToSection(1); },
      seekbackward: function () { seek(Math.max(0, audio.currentTime - 10)); },
      seekforward: function () { seek(Math.min(audio.duration || 0, audio.currentTime + 10)); },
      seekto: function (details) { seek(details.seekTime); }
    };
    Object.keys(handlers).forEach(function (action) {
      try { session.setActionHandler(action, handlers[action]); } catch (e) { /* not on this phone */ }
    });
  }

  // --- Low-data audio -----------------------------------------------------
  var listenSrc = player.getAttribute("data-listen-src");
  var lowSrc = player.getAttribute("data-lowdata-src");
  var toggle = document.getElementById("lowdata-toggle");
  var saveSize = document.querySelector(".save-size");

  function usingLowData() { return !!lowSrc && fileSrc === lowSrc; }

  function setLowData(low) {
    var src = low ? lowSrc : listenSrc;
    if (!src) return;
    if (fileSrc !== src) {
      var time = position();
      var playing = !audio.paused;
      if (streamer) streamer.stop();
      streamer = null;
      fileSrc = src;
      audio.setAttribute("src", src);
      audio.load();
      if (time > 0) pendingSeek = time;
      if (playing) play();
    }
    if (toggle) toggle.className = low ? "is-on" : "is-off";
    if (saveSize) saveSize.textContent = player.getAttribute(low ? "data-lowdata-size" : "data-listen-size");
    checkSaved();
  }

  // Offline, only switch to a file this phone has kept.
  function ifAvailable(src, then) {
    if (navigator.onLine !== false) return then();
    if (!window.caches) return;
    window.caches.match(src).then(function (hit) { if (hit) then(); });
  }

  if (toggle && listenSrc && lowSrc) {
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var low = !usingLowData();
      store.set("altavoz:lowdata", low ? "1" : "0");
      ifAvailable(low ? lowSrc : listenSrc, function () {
        setLowData(low);
        say(t(low ? "lowdata-on" : "lowdata-off"));
      });
    });
    var preference = store.get("altavoz:lowdata");
    if (preference !== null && (preference === "1") !== usingLowData()) {
      ifAvailable(preference === "1" ? lowSrc : listenSrc, function () { setLowData(preference === "1"); });
    }
  }

  // --- Keep for listening without internet (service worker) ----------------
  // The files and the record of what was saved: static/js/saved.js, shared with the worker.
  var keep = document.getElementById("keep");
  var saveButton = document.getElementById("save-offline");
  var deleteButton = document.getElementById("delete-offline");
  var shareButton = document.getElementById("share");
  var updateLine = document.getElementById("saved-update");
  var savedGuides = window.altavozSaved;
  var recordUrl = player.getAttribute("data-saved");
  var canSave = "serviceWorker" in navigator && "caches" in window && window.isSecureContext !== false &&
    !!savedGuides && !!recordUrl;

  function pageUrl() { return location.pathname; }
  function captionsUrl() { return trackElement ? trackElement.getAttribute("src") : null; }
  function pageFiles() {
    var files = [pageUrl(), fileSrc, captionsUrl()];
    toArray(document.querySelectorAll('link[rel="stylesheet"], script[src]')).forEach(function (el) {
      files.push(el.getAttribute("href") || el.getAttribute("src"));
    });
    return files.filter(function (url, i) { return url && files.indexOf(url) === i; });
  }
  function variantName() { return usingLowData() ? "lowdata" : "listen"; }

  function showSaved(saved) {
    saveButton.hidden = saved;
    deleteButton.hidden = !saved;
    player.classList.toggle("is-saved", saved);
  }

  function day(iso) {
    var date = new Date(iso);
    try {
      return date.toLocaleDateString([document.documentElement.lang || "es", "es"], { day: "numeric", month: "long" });
    } catch (e) {
      return iso.slice(0, 10);
    }
  }

  // "Actualizada el 6 de diciembre: sección «Salud» cambió."
  function updatedText(updated) {
    var parts = (updated.sections || []).map(function (section) {
      var key = section.change === "changed" ? (section.text ? "section-changed" : "section-audio") : "section-" + section.change;
      return t(key).replace("%(heading)s", section.heading);
    });
    return t("updated").replace("%(date)s", day(updated.at)) + (parts.length ? ": " + parts.join("; ") : "") + ".";
  }

  // What the saved copy says of itself: no longer published here, or when it was updated.
  function showRecord(record) {
    if (!updateLine) return;
    var text = record && record.gone ? t("gone") : record && record.updated ? updatedText(record.updated) : "";
    updateLine.textContent = text;
    updateLine.hidden = !text;
    player.classList.toggle("is-gone", !!(record && record.gone));
  }

  function checkSaved() {
    if (!canSave) return;
    // match(…, {cacheName}) opens no cache: a phone that saved nothing keeps no trace.
    var mine = { cacheName: CACHE };
    Promise.all([window.caches.match(pageUrl(), mine), window.caches.match(fileSrc, mine)]).then(function (hits) {
      var saved = !!(hits[0] && hits[1]);
      showSaved(saved);
      if (saved && !status.textContent) say(t("saved"));
      if (saved) return savedGuides.read(CACHE, recordUrl).then(showRecord);
    }).catch(function () { /* storage unavailable */ });
  }

  // On open and whenever the phone comes back online: a newer version replaces the saved copy.
  function refreshSaved() {
    if (!canSave || navigator.onLine === false) return;
    savedGuides.read(CACHE, recordUrl).then(function (record) {
      if (record) return record;
      // Saved before saved copies kept a record: adopt it if what this page plays is saved.
      return window.caches.match(fileSrc, { cacheName: CACHE }).then(function (hit) {
        if (!hit) return null;
        var adopted = { files: pageFiles(), variants: [variantName()], hash: null, version: null };
        return savedGuides.write(CACHE, recordUrl, adopted).then(function () { return adopted; });
      });
    }).then(function (record) {
      if (record === null) return null;
      // The page may have come from the network before its new audio was saved (by this
      // refresh or the worker's): look again at what the phone holds.
      return savedGuides.refresh(CACHE, recordUrl).then(checkSaved);
    }).catch(function () { /* offline or the server failed: the saved copy stays as it is */ });
  }

  function save() {
    saveButton.disabled = true;
    say(t("saving"));
    navigator.serviceWorker.register(player.getAttribute("data-service-worker") || "/sw.js", { scope: "/" })
      .then(function () {
        // The audio is fetched with ?guardar=1 so that the server counts a save (a daily total,
        // nothing about the phone: audio/reach.py); it is kept under its own URL.
        return savedGuides.save(CACHE, recordUrl, pageFiles(), [variantName()], [fileSrc]);
      })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { showSaved(true); showRecord(null); say(t("saved")); })
      .catch(function () { say(t("save-failed")); })
      .then(function () { saveButton.disabled = false; });
  }

  function forget() {
    var mine = [pageUrl(), listenSrc, lowSrc, captionsUrl()].filter(Boolean);
    savedGuides.remove(CACHE, recordUrl, mine).then(function (pagesLeft) {
      if (pagesLeft) return null;
      // Nothing saved any more: leave no trace of the service worker either.
      return window.caches.delete(CACHE).then(function () {
        return navigator.serviceWorker.getRegistrations();
      }).then(function (registrations) {
        return Promise.all(registrations.map(function (r) { return r.unregister(); }));
      });
    }).then(function () {
      showSaved(false);
      showRecord(null);
      say(t("deleted"));
    }).catch(function () { /* nothing to delete */ });
  }

  if (canSave) {
    saveButton.addEventListener("click", save);
    deleteButton.addEventListener("click", forget);
    checkSaved();
    refreshSaved();
    window.addEventListener("online", refreshSaved);
  } else {
    saveButton.hidden = true;
  }

  // --- Share (Web Share with the audio file, else the link) ---------------
  var preparedFile = null;

  function shareUrl() { return location.origin + location.pathname; }

  function fileName(src) {
    var base = (player.getAttribute("data-title") || "audio").toLowerCase()
      .replace(/[áàä]/g, "a").replace(/[éèë]/g, "e").replace(/[íìï]/g, "i").replace(/[óòö]/g, "o")
      .replace(/[úùü]/g, "u").replace(/ñ/g, "n").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    var extension = (src.match(/\.(\w+)$/) || [null, "mp3"])[1];
    return (base || "audio") + "." + extension;
  }

  function copyLink() {
    var url = shareUrl();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(function () { say(t("copied")); }, function () { say(t("share-failed") + " " + url); });
    } else {
      say(t("share-failed") + " " + url);
    }
  }

  function shareFile(file) {
    return navigator.share({ files: [file], title: player.getAttribute("data-title"), text: shareUrl() });
  }

  function share() {
    var src = fileSrc;
    var title = player.getAttribute("data-title");
    if (preparedFile) {
      var file = preparedFile;
      preparedFile = null;
      shareFile(file).catch(function () { /* closed by the listener */ });
      return;
    }
    if (navigator.canShare && window.File && window.Blob) {
      var probe = new File([new Blob()], fileName(src), { type: "audio/mpeg" });
      if (navigator.canShare({ files: [probe] })) {
        fetch(src).then(function (response) { return response.blob(); }).then(function (blob) {
          var file = new File([blob], fileName(src), { type: blob.type || "audio/mpeg" });
          return shareFile(file).catch(function (error) {
            // Fetching took too long for the browser to count the tap: tap again.
            if (error && error.name === "NotAllowedError") { preparedFile = file; say(t("share-ready")); }
          });
        }).catch(copyLink);
        return;
      }
    }
    if (navigator.share) {
      navigator.share({ title: title, url: shareUrl() }).catch(function (error) {
        if (!error || error.name !== "AbortError") copyLink();
      });
    } else {
      copyLink();
    }
  }
  shareButton.addEventListener("click", share);

  player.hidden = false;
  keep.hidden = false;
  showState();
  if (!sections.length) {
    document.getElementById("next-section").hidden = true;
    document.getElementById("previous-section").hidden = true;
  }
})();
