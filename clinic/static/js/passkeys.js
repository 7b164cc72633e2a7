// Passkeys on the second-factor pages (templates/auth/mfa_code.html and mfa_manage.html).
// Each form[data-passkey] holds the ceremony's options (with the server's challenge) in
// data-passkey-options. The browser's answer goes back as JSON in the form's hidden
// "response" field and the form posts as usual, so the server's answer is a page.
// Without JavaScript, or in a browser without passkeys, the page says so and codes work.
const toBytes = (text) =>
  Uint8Array.from(
    atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)),
    (c) => c.charCodeAt(0),
  );
const toText = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const withIds = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

async function create(options) {
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: withIds(options.excludeCredentials),
    },
  });
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(response.clientDataJSON),
      attestationObject: toText(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : [],
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment,
  };
}

async function get(options) {
  const credential = await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    },
  });
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: response.userHandle ? toText(response.userHandle) : null,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment,
  };
}

if (window.PublicKeyCredential && navigator.credentials) {
  for (const form of document.querySelectorAll("form[data-passkey]")) {
    const section = form.closest("[data-passkey-section]") || form;
    section.classList.remove("govuk-!-display-none");
    const noScript = document.querySelector("[data-passkey-no-js]");
    if (noScript) noScript.classList.add("govuk-!-display-none");
    const status = section.querySelector("[data-passkey-status]");
    let busy = false;

    form.addEventListener("submit", async (event) => {
      const answer = form.elements["passkey-response"];
      const name = form.elements["passkey-name"];
      if (answer.value || (name && !name.value.trim())) return; // the server says what is missing
      event.preventDefault();
      if (busy) return;
      busy = true;
      const options = JSON.parse(form.dataset.passkeyOptions);
      try {
        const credential = await (form.dataset.passkey === "create" ? create : get)(options);
        answer.value = JSON.stringify(credential);
        form.submit();
      } catch (error) {
        busy = false;
        if (status) status.textContent = status.dataset.failed;
      }
    });
  }
}
