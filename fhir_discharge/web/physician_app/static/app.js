// The ED physician's app: SMART App Launch 2.0 (authorization code + PKCE, public client),
// then screen, preview, confirm. Served by fhir-discharge under /app/; its text comes from the
// page's data block (the `app` table of fhir_discharge/core/i18n/<language>.toml). The service exchanges the
// code and keeps the SMART access token: this page only ever holds the service's session
// handle for this launch (in memory, sent as a bearer header: no cookie, so it works framed
// by the EHR), and the code and state leave the address bar as soon as they are read. The
// handle is also kept in this tab's sessionStorage (never the SMART token), so a reload shows
// the launch's state again, read from the service (issue 22, point 3).
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("app-data").textContent);
  const T = data.phrases;
  const C = data.config;
  const $ = (id) => document.getElementById(id);

  let session = null; // {handle}: the service's session for this launch (its patient, encounter)
  let screeningId = null; // one per screening form: a repeat stores the screening once
  let authored = null; // the screening's moment, fixed by the preview shown (issue 22, point 4)
  let confirming = false;
  const SESSION_KEY = "fhir-discharge-app-session"; // the handle only, for a reload of this tab

  class Expired extends Error {}

  // A call of this service answered with an error: which call (`step`: "record", "preview",
  // "screening"), its HTTP status and its OperationOutcome (English diagnostics).
  class Failed extends Error {
    constructor(step, code, outcome) {
      super(problem(outcome));
      this.step = step;
      this.code = code;
      this.outcome = outcome;
    }
  }

  function say(key, vars) {
    return (T[key] || key).replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? vars[k] : ""));
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function status(text) {
    const box = $("status");
    box.replaceChildren();
    if (text) {
      const p = document.createElement("p");
      p.textContent = text;
      box.append(p);
    }
  }

  function alertBox(text) {
    const box = $("alert");
    box.textContent = text || "";
    box.hidden = !text;
    if (text) {
      status("");
      $("main").focus();
    }
  }

  function fail(error) {
    confirming = false;
    if (error instanceof Expired) {
      session = null;
      sessionStorage.removeItem(SESSION_KEY);
      for (const id of ["workspace", "preview", "off", "positive", "discharged"]) show(id, false);
      alertBox(say("expired"));
    } else if (error instanceof Failed) {
      for (const id of ["workspace", "preview", "off", "positive", "discharged"]) show(id, false);
      alertBox("");
      status("");
      showFailure(error.code, error.outcome, [], error.step);
      show("result", true);
      $("result").focus();
    } else if (error instanceof TypeError) {
      // fetch() got no answer at all (its message is the browser's English, e.g. "Failed to
      // fetch"): say so in the app's language, without claiming what did or did not happen.
      alertBox(say("network"));
    } else {
      alertBox(say("error", { message: error.message }));
    }
  }

  // A finding of the gate as the physician reads it, said by its code by the service
  // (core/i18n/said.py); its English message when it has none. Always put in as text
  // (textContent), never as markup: it carries record values.
  function findingText(finding) {
    return finding.text || finding.message;
  }

  // A warning of the discharge ("Let op"), said by its code like a finding. As text.
  function warningText(warning) {
    return warning.text || warning.message;
  }

  function list(id, items, empty) {
    const ul = $(id);
    ul.replaceChildren();
    const values = items.length ? items : empty ? [empty] : [];
    for (const value of values) {
      const li = document.createElement("li");
      li.textContent = value;
      ul.append(li);
    }
  }

  // --- HTTP: this service only (CSP connect-src 'self') ---------------------------------

  async function call(method, url, body, withToken) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (withToken) headers.Authorization = "Bearer " + session.handle;
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
    let answer = null;
    try {
      answer = await response.json();
    } catch (_) {
      answer = null;
    }
    if (response.status === 401 && withToken) throw new Expired();
    return { status: response.status, body: answer, headers: response.headers };
  }

  function problem(answer) {
    const issues = (answer && answer.issue) || [];
    return issues.map((i) => i.diagnostics).filter(Boolean).join("; ") || "HTTP error";
  }

  async function api(step, method, url, body) {
    const answer = await call(method, url, body, true);
    if (answer.status >= 400) throw new Failed(step, answer.status, answer.body);
    return answer.body;
  }

  // --- SMART App Launch: PKCE ------------------------------------------------------------

  function base64url(bytes) {
    let text = "";
    for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size)));
  }

  async function launch(params) {
    const iss = params.get("iss");
    if (!iss) {
      alertBox(say("no-launch"));
      return;
    }
    status(say("launching"));
    const found = await call("GET", "api/discover?iss=" + encodeURIComponent(iss));
    if (found.status !== 200) {
      loginFailed(issues(found.body).map((i) => i.diagnostics), false);
      return;
    }
    const verifier = randomString(48);
    const challenge = base64url(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)),
    );
    const state = randomString(24);
    // Only what the callback needs to finish this login; cleared there.
    sessionStorage.setItem("smart-pending", JSON.stringify({ state, verifier, iss }));
    const query = new URLSearchParams({
      response_type: "code",
      client_id: C.clientId,
      redirect_uri: C.redirectUri,
      scope: params.get("launch") ? C.ehrLaunchScope : C.standaloneScope,
      state,
      aud: iss,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    if (params.get("launch")) query.set("launch", params.get("launch"));
    location.assign(found.body.authorization_endpoint + "?" + query.toString());
  }

  async function callback(params) {
    const pending = JSON.parse(sessionStorage.getItem("smart-pending") || "null");
    sessionStorage.removeItem("smart-pending");
    history.replaceState(null, "", C.home); // the code and state leave the address bar
    if (params.get("error")) {
      // The authorization server's own words (RFC 6749 4.1.2.1), in English: folded away.
      const technical = ["error: " + params.get("error")];
      if (params.get("error_description")) {
        technical.push("error_description: " + params.get("error_description"));
      }
      loginFailed(technical, params.get("error") === "access_denied");
      return;
    }
    if (!pending || !params.get("code") || params.get("state") !== pending.state) {
      alertBox(say("state-mismatch"));
      return;
    }
    const exchanged = await call("POST", "api/token", {
      iss: pending.iss,
      code: params.get("code"),
      code_verifier: pending.verifier,
      redirect_uri: C.redirectUri,
    });
    if (exchanged.status !== 200) {
      loginFailed(issues(exchanged.body).map((i) => i.diagnostics), false);
      return;
    }
    session = { handle: exchanged.body.session };
    sessionStorage.setItem(SESSION_KEY, session.handle);
    await start();
  }

  // A failed login (issue 22, point 7): what happened in the app's language; the
  // authorization server's or the service's English folded away, as for every other failure.
  function loginFailed(technical, denied) {
    status("");
    result(
      T["login-failed-heading"],
      denied ? T["login-denied"] : T["login-failed"],
      [],
      technical.filter(Boolean),
      T["login-next"],
    );
    show("result", true);
    $("result").focus();
  }

  // A reload of this tab: the launch's session again, if it is still open; the state is read
  // from the service, never from what the page remembered.
  async function resume() {
    const handle = sessionStorage.getItem(SESSION_KEY);
    if (!handle) {
      alertBox(say("no-launch"));
      return;
    }
    session = { handle };
    await start();
  }

  // --- the record and the screening ------------------------------------------------------

  async function start() {
    status(say("loading"));
    // The launch's patient and encounter: the session names them, the page does not.
    const record = await api("record", "GET", "api/record");
    if (record.discharged) {
      status("");
      showDischarged(record, false);
      return;
    }
    renderRecord(record);
    renderItems();
    renderStoredScreening(record.storedScreening);
    screeningId = crypto.randomUUID();
    authored = null;
    show("workspace", true);
    status("");
    $("screening-heading").focus();
  }

  function renderRecord(record) {
    const p = record.patient;
    $("patient-name").textContent = p.name;
    $("patient-born").textContent = p.birthDate;
    $("patient-sex").textContent = say("sex-" + p.gender);
    const e = record.encounter;
    $("visit-period").textContent = e.end
      ? say("visit-period", { start: e.start, end: e.end })
      : say("visit-open", { start: e.start });
    $("patient-banner").textContent = p.name + " – " + p.birthDate;
    show("patient-banner", true);
    list("diagnoses", record.diagnoses, T.none);
    list("other-conditions", record.otherConditions, T.none);
    list("tests", record.tests, T.none);
    list("prescriptions", record.prescriptions, T.none);
    const gate = $("record-gate");
    gate.replaceChildren();
    const intro = document.createElement("p");
    gate.className = "gate " + record.gate.outcome;
    intro.textContent =
      record.gate.outcome === "clear"
        ? T["record-clear"]
        : record.gate.outcome === "off-pathway"
          ? T["record-off"]
          : T["record-incomplete"];
    gate.append(intro);
    if (record.gate.findings.length) {
      const ul = document.createElement("ul");
      for (const f of record.gate.findings) {
        const li = document.createElement("li");
        li.textContent = findingText(f);
        ul.append(li);
      }
      gate.append(ul);
    }
    session.recordGate = record.gate;
  }

  // Each question a fieldset of two native radios. The normal answer comes first in each
  // group, so Tab (which lands on a group's first radio) and Space give it: "Nee" for a red
  // flag, "Ja, meegegeven" for the brochure. A red flag needs a deliberate act: a click, or
  // the arrow keys from "Nee"; Enter on a radio does nothing (onFormKey); a keyboard focus
  // entering an unanswered question lands on "Nee" from either side (onAnswerFocus), so a
  // stray Space cannot tick a red flag (H155).
  function renderItems() {
    $("items").replaceChildren();
    $("discharge-items").replaceChildren();
    for (const item of C.items) {
      const redFlag = C.redFlags.includes(item.linkId);
      const fieldset = document.createElement("fieldset");
      fieldset.className = "item " + (redFlag ? "red-flag" : "discharge-item");
      fieldset.id = "item-" + item.linkId;
      const legend = document.createElement("legend");
      legend.textContent = item.text;
      const help = document.createElement("p");
      help.className = "explanation";
      help.id = "help-" + item.linkId;
      help.textContent = item.explanation;
      fieldset.setAttribute("aria-describedby", help.id);
      fieldset.append(legend, help);
      const choices = document.createElement("div");
      choices.className = "choices";
      const options = redFlag
        ? [
            ["false", T["red-flag-no"], ""],
            ["true", T["red-flag-yes"], "⚠"],
          ]
        : [
            ["true", T["brochure-yes"], ""],
            ["false", T["brochure-no"], ""],
          ];
      for (const [value, label, icon] of options) {
        const id = "answer-" + item.linkId + "-" + value;
        const input = document.createElement("input");
        input.type = "radio";
        input.name = item.linkId;
        input.value = value;
        input.id = id;
        input.required = true;
        const lab = document.createElement("label");
        lab.htmlFor = id;
        if (icon) {
          const mark = document.createElement("span");
          mark.className = "icon";
          mark.setAttribute("aria-hidden", "true");
          mark.textContent = icon;
          lab.append(mark, " ");
        }
        lab.append(label);
        const wrap = document.createElement("span");
        wrap.className = "choice choice-" + (redFlag && value === "true" ? "flag" : value);
        wrap.append(input, lab);
        choices.append(wrap);
      }
      fieldset.append(choices);
      // Shown by the stylesheet when the question is open (after a try) or its red flag ticked.
      const open = document.createElement("p");
      open.className = "marker open-marker";
      open.id = "open-" + item.linkId;
      open.textContent = T["open-marker"];
      fieldset.append(open);
      if (redFlag) {
        const ticked = document.createElement("p");
        ticked.className = "marker flag-marker";
        ticked.textContent = "⚠ " + T["red-flag-ticked"];
        fieldset.append(ticked);
      }
      (redFlag ? $("items") : $("discharge-items")).append(fieldset);
    }
  }

  // An open question, marked (aria-invalid and a visible marker) until it is answered.
  function markOpen(item, open) {
    const fieldset = $("item-" + item.linkId);
    fieldset.classList.toggle("open", open);
    const described = "help-" + item.linkId + (open ? " open-" + item.linkId : "");
    fieldset.setAttribute("aria-describedby", described);
    for (const input of fieldset.querySelectorAll("input")) {
      if (open) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  // An answer given: its question is no longer marked, nor listed in the message (taken out
  // of the live region quietly: a removal is not read out); the message goes with the last.
  function onAnswer(event) {
    const item = C.items.find((i) => i.linkId === event.target.name);
    if (!item) return;
    markOpen(item, false);
    const listed = $("form-error").querySelector(`li[data-link-id="${item.linkId}"]`);
    if (listed) listed.remove();
    if (!$("form-error").querySelector("li")) $("form-error").replaceChildren();
  }

  function onFormKey(event) {
    // Enter on a radio would submit the form (implicit submission): it does nothing here.
    if (event.key === "Enter" && event.target.type === "radio") event.preventDefault();
  }

  // A keyboard focus entering an unanswered question lands on its first, normal answer, from
  // either side (the browser puts Shift+Tab on the last radio: a red flag's "Ja"). A click, or
  // an arrow key within the question, is left alone.
  function onAnswerFocus(event) {
    const input = event.target;
    if (input.type !== "radio") return;
    const group = [...document.querySelectorAll(`input[name="${input.name}"]`)];
    const fromOutside = !group.includes(event.relatedTarget);
    const unanswered = !group.some((r) => r.checked);
    if (input !== group[0] && fromOutside && unanswered && input.matches(":focus-visible")) {
      group[0].focus();
    }
  }

  function showOpen(open) {
    const box = $("form-error");
    box.replaceChildren();
    for (const item of C.items) markOpen(item, open.includes(item));
    if (!open.length) return;
    const alert = document.createElement("div");
    alert.className = "alert";
    const intro = document.createElement("p");
    intro.textContent = T.unanswered;
    const ul = document.createElement("ul");
    ul.className = "open-list";
    for (const item of open) {
      // A link to the question: it moves the focus to the question's first answer.
      const a = document.createElement("a");
      a.href = "#item-" + item.linkId;
      a.textContent = item.short.charAt(0).toUpperCase() + item.short.slice(1);
      a.addEventListener("click", (event) => {
        event.preventDefault();
        focusQuestion(item);
      });
      const li = document.createElement("li");
      li.dataset.linkId = item.linkId;
      li.append(a);
      ul.append(li);
    }
    alert.append(intro, ul);
    box.append(alert);
  }

  function focusQuestion(item) {
    const first = document.querySelector(`input[name="${item.linkId}"]`);
    first.focus({ preventScroll: true });
    // Centred: clear of the sticky bar that holds the message.
    $("item-" + item.linkId).scrollIntoView({ block: "center" });
  }

  function answers() {
    const given = {};
    const open = [];
    for (const item of C.items) {
      const checked = document.querySelector(`input[name="${item.linkId}"]:checked`);
      if (checked) given[item.linkId] = checked.value === "true";
      else open.push(item);
    }
    return { given, open };
  }

  async function onPreview(event) {
    event.preventDefault();
    alertBox("");
    const { given, open } = answers();
    showOpen(open);
    if (open.length) {
      focusQuestion(open[0]);
      return;
    }
    const ticked = C.items.filter((i) => C.redFlags.includes(i.linkId) && given[i.linkId]);
    const recordOff = session.recordGate.outcome !== "clear";
    if (ticked.length) {
      // A red flag: the screening is stored as documented (issue 22, point 1), nothing else.
      showPositive(given, ticked, session.recordGate.findings.map(findingText));
      return;
    }
    if (recordOff) {
      // Off the pathway: nothing is sent, not even the screening.
      showOff(
        session.recordGate.outcome === "incomplete" && !ticked.length,
        ticked.map((i) => i.text),
        session.recordGate.findings.map(findingText),
      );
      return;
    }
    status(say("loading"));
    const preview = await api("preview", "POST", "api/preview", body(given));
    authored = preview.authored || authored; // the moment the confirm stores (point 4)
    status("");
    if (preview.outcome !== "on-pathway") {
      showOff(
        preview.outcome === "incomplete",
        [],
        preview.findings.map(findingText),
      );
      return;
    }
    showPreview(preview, given);
  }

  function body(given) {
    return { answers: given, screening_id: screeningId, authored };
  }

  function showOff(incomplete, screened, found) {
    show("workspace", false);
    $("off-heading").textContent = incomplete ? T["incomplete-heading"] : T["off-heading"];
    list("off-screening-list", screened);
    show("off-screening", screened.length > 0);
    list("off-record-list", found);
    show("off-record", found.length > 0);
    show("off", true);
    $("off").focus();
  }

  function showPreview(preview, given) {
    session.answers = given;
    show("workspace", false);
    const frame = $("letter");
    frame.onload = () => {
      const doc = frame.contentDocument;
      if (doc) frame.style.height = doc.documentElement.scrollHeight + 24 + "px";
    };
    frame.srcdoc = preview.letterHtml;
    list("follow-ups", preview.followUps);
    $("brochure-link").href = preview.brochureUrl;
    const warnings = preview.warnings.map(warningText);
    list("warnings-list", warnings);
    show("warnings", warnings.length > 0);
    $("confirm").disabled = false;
    show("preview", true);
    // From the top (the patient's banner, the follow-ups and warnings): focusing the long
    // section scrolled it to wherever the form had been.
    $("preview").focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  function backToScreening() {
    authored = null; // answers may change: the next preview fixes the moment again
    show("preview", false);
    show("off", false);
    show("positive", false);
    show("workspace", true);
    $("screening-heading").focus();
  }

  // --- confirm: store the screening as the physician, then discharge ----------------------

  async function onConfirm() {
    if (confirming) return; // a second click sends nothing
    confirming = true;
    $("confirm").disabled = true;
    $("back").disabled = true;
    status(say("sending"));
    const stored = await api("screening", "POST", "api/screening", body(session.answers));
    // $lbp-discharge of the launch's encounter, through the app's API (the session's only way).
    const answer = await call("POST", "api/discharge", undefined, true);
    const screened = { role: "screening", reference: stored.reference, status: stored.status };
    // A refusal: each reason as the service said it by its finding's code (details.text).
    const refused = answer.status === 422 || answer.status === 409;
    const reasons = refused ? refusalReasons(issues(answer.body)) : [];
    status("");
    show("preview", false);
    if (answer.status === 200 || answer.status === 201) {
      // The confirmation says what the server now holds, as a reload would (point 3).
      showDischarged(await api("record", "GET", "api/record"), true);
      return;
    } else if (answer.status === 202) {
      result(T["done-heading"], queued(answer.body), [describe(screened)]);
      pollStatus(answer.headers.get("Content-Location"));
    } else {
      showFailure(answer.status, answer.body, reasons, "discharge");
    }
    show("result", true);
    $("result").focus();
  }

  function issues(outcome) {
    return ((outcome && outcome.issue) || []).filter((i) => i && i.diagnostics);
  }

  // The service's reasons for a 422: each issue carries its finding's code in details.coding,
  // and the app's API said it by that code in details.text; the English diagnostic for one
  // without a code (nothing is asked again).
  function refusalReasons(given) {
    return given.map((i) => (i.details && i.details.text) || i.diagnostics);
  }

  // What the physician needs when a call failed (`step`: "record", "preview", "screening", or
  // "discharge" itself): what happened, in the app's language, by the answer's status; what was and was not
  // written; the reasons of a refusal; what to do; and the service's own English diagnostics,
  // folded, for the ICT service.
  function showFailure(code, outcome, reasons, step) {
    const english = issues(outcome).map((i) => i.diagnostics);
    const done = written(code, step);
    if (code === 422 && step === "discharge") {
      const off = issues(outcome).some((i) => i.code === "business-rule");
      const kind = off ? "refused-off" : "refused-incomplete";
      const intro = [T[kind], done, reasons.length ? T[kind + "-list"] : ""];
      // The English again only when some reason was said in the app's language.
      const details = reasons.some((r, n) => r !== english[n]) ? english : [];
      result(T["refused-heading"], intro.join(" ").trim(), reasons, details, T["refused-next"]);
    } else if (code === 409 && issues(outcome).some((i) => i.details && i.details.text)) {
      // What the FHIR server holds refuses it (the encounter discharged already, a correction
      // past the last version, another patient's identifiers): each reason as the service said
      // it, with what to do; the English folded, as for a 422.
      const said = reasons.length ? reasons : refusalReasons(issues(outcome));
      const details = said.some((r, n) => r !== english[n]) ? english : [];
      result(failureHeading(code, step), done, said, details, "");
    } else if (code === 422) {
      // The gate could not read the record at all: its reasons, in English, are what to fix.
      const intro = [T["call-incomplete"], done, english.length ? T["call-incomplete-list"] : ""];
      result(failureHeading(code, step), intro.join(" ").trim(), english, [], T["refused-next"]);
    } else {
      const next =
        code === 502 || code === 504
          ? T["failed-next"]
          : code === 503
            ? T["terminology-next"]
            : T["report-next"];
      result(failureHeading(code, step), happened(code, step) + " " + done, [], english, next);
    }
  }

  function failureHeading(code, step) {
    if (step === "record") return T["record-failed-heading"];
    if (step === "preview") return T["preview-failed-heading"];
    if (step === "discharge" && (code === 502 || code === 504)) return T["failed-heading"];
    return T["not-sent-heading"];
  }

  // What happened, by the answer's status; the discharge's own sentences where they fit.
  function happened(code, step) {
    const discharge = step === "discharge";
    if (code === 502 || code === 504) return discharge ? T.failed : T["call-failed"];
    // 503: the terminology server did not answer (the service's only 503); nothing written.
    if (code === 503) return T["terminology-unavailable"];
    if (code === 400) return T.invalid;
    if (code === 403) return discharge ? T.forbidden : T["call-forbidden"];
    if (code === 404) return T["not-found"];
    // A 409 the service did not say (the FHIR server's identity conflict found at delivery):
    // only the screening's is the encounter discharged meanwhile.
    if (code === 409 && step === "screening") return T["already-discharged"];
    return say("service-error", { status: String(code) });
  }

  // What was (not) written when `step` failed. The calls come in this order: the record and the
  // preview only read; confirming stores the screening, then asks the discharge. 4xx and 503:
  // the service wrote nothing at that step; other 5xx: the FHIR server confirmed nothing.
  function written(code, step) {
    // (A 503 is refused before anything is accepted: nothing written, nothing to confirm.)
    const unconfirmed = code >= 500 && code !== 503;
    if (step === "discharge") return unconfirmed ? T["not-confirmed"] : T["not-created"];
    if (step === "screening") {
      return unconfirmed ? T["screening-not-confirmed"] : T["screening-not-stored"];
    }
    return T["nothing-stored"];
  }

  function result(heading, intro, items, details, next) {
    $("result-heading").textContent = heading;
    $("result-intro").textContent = intro;
    list("result-list", items);
    show("result-list", items.length > 0);
    $("result-next").textContent = next || "";
    show("result-next", Boolean(next));
    list("result-details-list", details || []);
    show("result-details", Boolean(details && details.length));
  }

  function queued(parameters) {
    const state = parameter(parameters, "state");
    return say("queued", { state: T["state-" + state] || state });
  }

  function parameter(parameters, name) {
    const found = ((parameters && parameters.parameter) || []).find((p) => p.name === name);
    return found ? found.valueCode || found.valueString || "" : "";
  }

  function landed(parameters) {
    const out = [];
    for (const p of (parameters && parameters.parameter) || []) {
      if (!p.part) continue;
      const part = (n) => p.part.find((x) => x.name === n) || {};
      out.push({
        role: p.name,
        reference: (part("reference").valueReference || {}).reference,
        status: part("status").valueCode,
      });
    }
    return out;
  }

  function describe(item) {
    const label = T["role-" + item.role] || item.role;
    const status = T["status-" + item.status] || item.status || "";
    return `${label}: ${item.reference} (${status})`;
  }

  async function pollStatus(location) {
    for (let i = 0; location && i < 15; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const answer = await call("GET", location, undefined, true);
      const state = parameter(answer.body, "state");
      $("result-intro").textContent = queued(answer.body);
      if (state === "delivered") {
        show("result", false);
        showDischarged(await api("record", "GET", "api/record"), true);
        return;
      }
      if (state === "failed" || state === "dead") {
        showFailure(502, lastFailure(answer.body), [], "discharge");
        return;
      }
    }
  }

  function lastFailure(parameters) {
    const found = ((parameters && parameters.parameter) || []).find(
      (p) => p.name === "lastFailure",
    );
    return found ? found.resource : null;
  }

  // --- the workflow's other states (issue 22) ----------------------------------------------

  // What the app stored of this encounter before: the next store amends it, and says so.
  function renderStoredScreening(stored) {
    const box = $("screening-on-record");
    box.replaceChildren();
    if (stored) {
      const p = document.createElement("p");
      p.textContent = say("screening-on-record", { moment: stored.moment });
      box.append(p);
      if (stored.redFlags.length) {
        const flags = document.createElement("p");
        flags.textContent = say("screening-on-record-flags", { flags: stored.redFlags.join("; ") });
        box.append(flags);
      }
    }
    show("screening-on-record", Boolean(stored));
  }

  // A red flag ticked: outside the pathway. The flags by their clinical names; the main action
  // stores the screening as documented and returns to the EHR; correcting an answer goes back
  // to the form (storing again then amends the stored screening: the service's rule).
  function showPositive(given, ticked, found) {
    session.answers = given;
    show("workspace", false);
    list("positive-flags", ticked.map((i) => C.redFlagNames[i.linkId] || i.text));
    list("positive-record-list", found);
    show("positive-record", found.length > 0);
    show("positive-stored", false);
    $("positive-store").disabled = false;
    show("positive-store", true);
    show("positive", true);
    $("positive").focus();
  }

  async function onStorePositive() {
    if (confirming) return; // a second click sends nothing
    confirming = true;
    $("positive-store").disabled = true;
    status(say("sending"));
    try {
      const stored = await api("screening", "POST", "api/screening", body(session.answers));
      status("");
      const said = $("positive-stored");
      said.textContent = T["positive-" + stored.status] || T["positive-stored"];
      list("positive-flags", stored.redFlags);
      show("positive-stored", true);
      // Stored: its button has done its work (pressed again it only said "nothing changed");
      // correcting an answer stays offered, and amends.
      show("positive-store", false);
      returnToEhr();
    } finally {
      confirming = false;
      $("positive-store").disabled = false;
    }
  }

  // An encounter this service discharged, as the server holds it: after a confirm (`done`),
  // a second launch or a reload alike. Read-only: no screening can be stored (the service
  // refuses one too). FHIR references only in the folded technical details.
  function showDischarged(record, done) {
    const d = record.discharged;
    for (const id of ["workspace", "preview", "off", "positive", "result"]) show(id, false);
    $("patient-banner").textContent = record.patient.name + " – " + record.patient.birthDate;
    show("patient-banner", true);
    const by = { moment: d.dischargedAt, physician: d.physician };
    $("discharged-heading").textContent = done ? T["done-heading"] : say("discharged-heading", by);
    show("discharged-intro", !done);
    $("discharged-by").textContent = say("discharged-by", by);
    $("discharged-gp").textContent = d.generalPractitioner
      ? say("discharged-gp", { gp: d.generalPractitioner })
      : T["discharged-no-gp"];
    list("discharged-follow-ups", d.followUps);
    $("discharged-brochure").href = d.brochureUrl;
    list("discharged-details-list", d.technical);
    const frame = $("discharged-letter");
    show("discharged-letter", Boolean(d.letterHtml));
    show("discharged-no-letter", !d.letterHtml);
    if (d.letterHtml) {
      frame.onload = () => {
        const doc = frame.contentDocument;
        if (doc) frame.style.height = doc.documentElement.scrollHeight + 24 + "px";
      };
      frame.srcdoc = d.letterHtml;
    }
    show("discharged", true);
    $("discharged").focus();
  }

  // Back to the EHR. SMART App Launch has no standard return URL: the site's own, when it has
  // one (FHIR_DISCHARGE_APP_RETURN_URL); else this window is closed (an EHR that opened it as
  // a window), and where the browser does not allow that, the page says it may be closed.
  function returnToEhr() {
    if (C.returnUrl) {
      try {
        window.top.location.assign(C.returnUrl); // framed by the EHR: the EHR's whole page
      } catch (_) {
        location.assign(C.returnUrl);
      }
      return;
    }
    window.close();
    for (const note of document.querySelectorAll(".ehr-closed")) note.hidden = false;
  }

  // --- wiring ----------------------------------------------------------------------------

  function guarded(handler) {
    return (event) => handler(event).catch(fail);
  }

  $("screening-form").addEventListener("submit", guarded(onPreview));
  $("screening-form").addEventListener("keydown", onFormKey);
  $("screening-form").addEventListener("change", onAnswer);
  $("screening-form").addEventListener("focusin", onAnswerFocus);
  $("confirm").addEventListener("click", guarded(onConfirm));
  $("back").addEventListener("click", backToScreening);
  $("off-back").addEventListener("click", backToScreening);
  $("positive-correct").addEventListener("click", backToScreening);
  $("positive-store").addEventListener("click", guarded(onStorePositive));
  for (const button of document.querySelectorAll(".ehr-return")) {
    button.addEventListener("click", returnToEhr);
  }

  const params = new URLSearchParams(location.search);
  const path = location.pathname.replace(/\/+$/, "");
  let begin;
  if (path.endsWith("/launch")) begin = launch(params);
  else if (path.endsWith("/callback")) begin = callback(params);
  else begin = resume();
  begin.catch(fail);
})();
