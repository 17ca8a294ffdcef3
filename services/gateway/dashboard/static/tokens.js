// The token page's copy buttons, and the login page's link: /dashboard/login#token=… fills
// the token field (the fragment never reaches the server) and is cleared from the address.
(function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      input.select();
      if (navigator.clipboard) { navigator.clipboard.writeText(input.value).catch(function () {}); }
      else { document.execCommand("copy"); }
      button.textContent = "已复制";
    });
  });
  var field = document.getElementById("token");
  var match = /^#token=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  if (field && match) {
    field.value = match[1];
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
