// The attendance list's print button (templates/attendance/list.html).
// Offer a print button only where it works (the page prints without it too).
const printButton = document.getElementById("print-sheet");
printButton.hidden = false;
printButton.addEventListener("click", () => window.print());
