// GOV.UK Frontend's body-class snippet, loaded (blocking) at the start of <body> by
// templates/layout.html: components style themselves for JavaScript from the first paint.
// A file rather than inline script, so the Content-Security-Policy allows no inline script.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
