// The attendance list's print button (templates/attendance/list.html).
// Offer a print button only where it works (the page prints without it too).  It comes
// with GOV.UK Frontend's govuk-!-display-none, not the hidden attribute: .govuk-button sets
// its own display, which beats [hidden], so a hidden button showed with JavaScript off.
const printButton = document.getElementById("print-sheet");
printButton.classList.remove("govuk-!-display-none");
printButton.addEventListener("click", () => window.print());
