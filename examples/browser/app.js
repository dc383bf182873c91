// The page's script: plain JavaScript over the `rxmqtt` global (dist/rxmqtt.min.js), no build step.
// Connects to the broker named in the query string, lists the live messages of a filter through
// client.topic(filter), and publishes what the form says.
(function () {
  'use strict';

  /** The most messages the list keeps; older ones are dropped. */
  var MAX_MESSAGES = 100;

  var params = new URLSearchParams(location.search);
  var url = params.get('url') || 'ws://localhost:8080';
  var $ = function (id) {
    return document.getElementById(id);
  };

  if (typeof rxmqtt === 'undefined') {
    $('status').textContent = 'dist/rxmqtt.min.js not found: run `npm run build` first';
    return;
  }

  $('broker').textContent = url;
  $('filter').value = params.get('filter') || '#';
  $('topic').value = params.get('topic') || 'demo/hello';

  var client = rxmqtt.connect(url, { clientId: 'rxmqtt-page-' + Math.random().toString(16).slice(2, 10) });

  // state$ replays the current state, then each change: connecting, connected, reconnecting...
  client.state$.subscribe(function (state) {
    var up = state.status === 'connected';
    $('status').textContent = state.status === 'reconnecting' ? 'reconnecting (attempt ' + state.attempt + ')…' : up ? 'connected' : state.status + '…';
    $('status').className = up ? 'up' : 'down';
  });
  client.on('error', function (error) {
    showError(error);
  });

  // One topic() stream at a time: watching another filter unsubscribes the previous one (the
  // client sends UNSUBSCRIBE), then subscribes the new one.
  var watching = null;
  function watch(filter) {
    if (watching) watching.unsubscribe();
    $('messages').replaceChildren();
    showError(null);
    // QoS 2: the broker delivers each message at the QoS it was published with, up to this one
    // [MQTT-3.8.4-8], so the list shows the publisher's QoS.
    watching = client.topic(filter, { qos: 2 }).subscribe({
      next: show,
      // A filter the broker refuses (SUBACK failure) or an invalid one ends the stream with an error.
      error: showError,
    });
    params.set('filter', filter);
    history.replaceState(null, '', '?' + params);
  }

  function show(message) {
    var item = document.createElement('li');
    var topic = document.createElement('span');
    topic.className = 'topic';
    topic.textContent = message.topic;
    var meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = new Date().toLocaleTimeString() + ' QoS ' + message.qos + (message.retain ? ' retained' : '');
    // textContent, never innerHTML: payloads come from anyone who can publish.
    item.append(topic, meta, document.createTextNode(new TextDecoder().decode(message.payload)));
    var list = $('messages');
    list.prepend(item);
    while (list.children.length > MAX_MESSAGES) list.lastElementChild.remove();
  }

  function showError(error) {
    $('error').textContent = error ? error.name + ': ' + error.message : '';
  }

  $('watch').addEventListener('submit', function (event) {
    event.preventDefault();
    watch($('filter').value.trim());
  });

  $('publish').addEventListener('submit', function (event) {
    event.preventDefault();
    var options = { qos: Number($('qos').value), retain: $('retain').checked };
    // Offline, the client queues the publish and sends it on reconnect.
    client.publishAsync($('topic').value.trim(), $('payload').value, options).then(function () {
      showError(null);
    }, showError);
  });

  window.addEventListener('pagehide', function () {
    client.end();
  });

  watch($('filter').value);
})();
