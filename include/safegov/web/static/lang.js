// The dashboard follows the Airflow UI's language. Airflow's UI (i18next) keeps the language
// the user picked in localStorage under "i18nextLng" (zh-CN, en, de…); the dashboard is served
// from the same origin, so it can read it. A page asked in a language (?lang=zh|en, the
// dashboard's own switch and every link after it) keeps that language.
(function (win) {
  "use strict";
  var url = new URL(win.location.href);
  if (url.searchParams.has("lang")) {
    return;
  }
  var airflow = "";
  try {
    airflow = win.localStorage.getItem("i18nextLng") || "";
  } catch (e) {
    return; // storage blocked: keep the server's default (Chinese)
  }
  if (!airflow) {
    return;
  }
  var want = airflow.toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  if (want !== win.document.documentElement.getAttribute("data-lang")) {
    url.searchParams.set("lang", want);
    win.location.replace(url.toString());
  }
})(window);
