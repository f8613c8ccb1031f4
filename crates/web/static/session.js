// Progressive enhancement: warn two minutes before the session expires, with a button that
// extends it. Without JavaScript the notice and the extend button on the page do the same.
(function () {
  var notice = document.querySelector('.session-notice');
  if (!notice) return;
  var expires = Number(notice.getAttribute('data-expires-ms'));
  if (!expires) return;
  var shown = false;
  function check() {
    var left = expires - Date.now();
    if (left < 120000 && !shown) {
      shown = true;
      notice.setAttribute('role', 'alert');
      notice.classList.add('warning');
      var button = notice.querySelector('button');
      if (button) button.focus();
    }
    if (left > 0) setTimeout(check, 15000);
  }
  check();
})();
