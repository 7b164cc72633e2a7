// The check-in page (templates/attendance/check_in.html).
// With JavaScript, a mark is sent in the background and only its row is redrawn, so the
// page keeps its place. Without it (or if anything goes wrong) the form posts as usual.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-check-in]");
  if (!form) return;
  event.preventDefault();
  const row = form.closest("[data-booking]");
  row.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`The server answered ${response.status}`);
    const answer = await response.json();
    row.outerHTML = answer.row;
    document.getElementById("check-in-totals").innerHTML = answer.totals;
    document.getElementById("check-in-status").textContent = answer.message;
    const fresh = document.getElementById(answer.id);
    (fresh.querySelector("button") || fresh).focus();
  } catch (error) {
    form.submit();
  }
});
