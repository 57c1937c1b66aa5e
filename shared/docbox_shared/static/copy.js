/* Copy button of a read-only field: <button id="copy-feed-url" hidden> beside <input id="feed-url">.
   Optional: the address is in the field anyway, and the button stays hidden without JavaScript.
   A file, not an inline script, so pages can forbid inline scripts (Content-Security-Policy). */
(function () {
  var button = document.getElementById("copy-feed-url");
  var field = document.getElementById("feed-url");
  var status = document.getElementById("copy-status");
  if (!navigator.clipboard || !button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      status.textContent = "Copied.";
    }, function () {
      field.focus(); field.select();
      status.textContent = "Copy did not work here: the address is selected, copy it with your keyboard.";
    });
  });
})();
