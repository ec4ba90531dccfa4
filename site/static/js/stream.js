// Feeds the guide's <audio> through Media Source Extensions so the first sound
// comes from the first few kilobytes: on 2G a plain <audio src> reads ~32 KB
// (and for Ogg, the end of the file) before it plays. One small Range request
// first, then the rest of the same file in order, in chunks; a jump outside
// what is loaded fetches from that section's first byte (WebM: the byte
// offsets the page gives), or hands the element back to its plain src (MP3).
// Any failure, or a phone without MSE for the type, leaves the plain src.
// Plain ES5; listen.js decides when to use it. No other origin.
(function () {
  "use strict";
  // The first request: the file's header and one to two seconds of audio, enough to
  // start (MP3 32 kbit/s: 8 KB with its small ID3 tag; WebM: up to the first
  // cluster, which the page gives as the first section's offset, then 2 KB: a second
  // of Opus at 16 kbit/s, so that low data is never heavier at the tap than listen).
  var FIRST_MP3 = 8 * 1024;
  var FIRST_AFTER_HEADER = 2 * 1024;
  var NEXT = 24 * 1024;
  var CHUNK = 64 * 1024;

  function supported(type) {
    return !!(window.MediaSource && window.fetch && type && window.MediaSource.isTypeSupported(type));
  }

  // options: src, type, bytes (file size), duration (s), index ([[seconds, byte], …] or []).
  function attach(audio, options, onFallback) {
    var source = new window.MediaSource();
    var buffer = null;
    var next = 0;          // next byte to fetch
    var generation = 0;    // bumped when a jump restarts the fetching
    var stopped = false;
    var sequence = !/webm/.test(options.type);  // MP3 has no timestamps of its own

    function fallBack() {
      if (stopped) return;
      var time = audio.currentTime;
      var playing = !audio.paused;
      stop();
      onFallback(time, playing);
    }

    function stop() {
      stopped = true;
      generation++;
    }

    function buffered(time) {
      var ranges = audio.buffered;
      for (var i = 0; i < ranges.length; i++) {
        if (ranges.start(i) <= time + 0.1 && time < ranges.end(i) - 0.1) return true;
      }
      return false;
    }

    function append(data) {
      return new Promise(function (resolve, reject) {
        function done() { buffer.removeEventListener("updateend", done); buffer.removeEventListener("error", failed); resolve(); }
        function failed() { buffer.removeEventListener("updateend", done); buffer.removeEventListener("error", failed); reject(new Error("append")); }
        buffer.addEventListener("updateend", done);
        buffer.addEventListener("error", failed);
        buffer.appendBuffer(data);
      });
    }

    function fetchRange(start, end) {
      return window.fetch(options.src, { headers: { Range: "bytes=" + start + "-" + end }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status !== 206 && !(response.status === 200 && start === 0 && end >= options.bytes - 1)) {
            throw new Error("no range");
          }
          return response.arrayBuffer();
        });
    }

    // The second request waits for the first sound: nothing else shares the line before it
    // (or 1.5 s, should the first bytes not be enough to start, or the listener pause).
    function ready() {
      var from = audio.currentTime;
      var waited = 0;
      return new Promise(function (resolve) {
        var poll = setInterval(function () {
          waited += 20;
          if ((audio.currentTime > from && !audio.paused) || waited >= 1500) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
    }

    function pump(mine, size) {
      if (stopped || mine !== generation) return null;
      if (next >= options.bytes) {
        if (source.readyState === "open" && !buffer.updating) source.endOfStream();
        return null;
      }
      var start = next;
      var end = Math.min(options.bytes, start + size) - 1;
      return fetchRange(start, end).then(function (data) {
        if (stopped || mine !== generation) return null;
        next = end + 1;
        return append(data).then(function () {
          if (start === 0) return ready().then(function () { return pump(mine, NEXT); });
          return pump(mine, CHUNK);
        });
      });
    }

    function run(from, size) {
      var mine = ++generation;
      next = from;
      var work = pump(mine, size);
      if (work) work.catch(function () { if (mine === generation) fallBack(); });
    }

    // A jump: from the last section start at or before it, unless the fetching is about to get there anyway.
    audio.addEventListener("seeking", function () {
      if (stopped || !buffer) return;
      var time = audio.currentTime;
      if (buffered(time)) return;
      var from = null;
      for (var i = 0; i < options.index.length; i++) {
        if (options.index[i][0] <= time + 0.05) from = options.index[i][1];
      }
      if (from === null) { fallBack(); return; }
      if (from <= next && next - from < CHUNK && audio.buffered.length && time >= audio.buffered.end(audio.buffered.length - 1)) return;
      if (buffer.updating) buffer.abort();
      run(from, CHUNK);
    });

    source.addEventListener("sourceopen", function () {
      try {
        buffer = source.addSourceBuffer(options.type);
        if (sequence) buffer.mode = "sequence";
        if (options.duration) source.duration = options.duration;
      } catch (e) {
        fallBack();
        return;
      }
      run(0, sequence || !options.index.length ? FIRST_MP3 : options.index[0][1] + FIRST_AFTER_HEADER);
    });
    audio.src = window.URL.createObjectURL(source);
    return { stop: stop };
  }

  window.altavozStream = { supported: supported, attach: attach };
})();
