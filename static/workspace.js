// Researcher workspace, every page: copy buttons and confirmations.
// No inline script anywhere (the CSP allows only this origin's files):
// behaviour hangs on data- attributes.
//
//   <button data-copy="input-id">  copies the input's value; a
//                                  [data-copy-status] region says so.
//   <form data-confirm="Question?"> asks before submitting.

function copyStatus(button, text) {
  const scope = button.closest(".share") || document;
  const status = scope.querySelector("[data-copy-status]");
  if (status) status.textContent = text;
}

async function copyFrom(button) {
  const input = document.getElementById(button.dataset.copy);
  if (!input) return;
  const label = input.labels && input.labels[0] ? input.labels[0].textContent.trim() : "Text";
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // Clipboard API unavailable (e.g. not a secure context): select the
    // text and use the older command.
    input.focus();
    input.select();
    if (!document.execCommand || !document.execCommand("copy")) {
      copyStatus(button, "Could not copy: the text is selected, press Ctrl+C (⌘C) to copy it.");
      return;
    }
  }
  copyStatus(button, label + " copied.");
}

document.addEventListener("click", (ev) => {
  const button = ev.target.closest("[data-copy]");
  if (button) {
    ev.preventDefault();
    copyFrom(button);
  }
});

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    ev.preventDefault();
  }
});

// A form re-rendered with problems: move the focus to its summary so
// keyboard and screen-reader users start there.
const summary = document.getElementById("error-summary");
if (summary) summary.focus();

document.documentElement.dataset.workspace = "ready";
