// The boot data the study page carries (slug, stimulus size, screen rule,
// preview, language and texts), read once.

export const boot = JSON.parse(document.getElementById('boot').textContent);
