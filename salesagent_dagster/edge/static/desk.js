// The review desk's keys and read-aloud. Served from this origin only (the CSP forbids
// inline script), and nothing here is needed to act: every action is a plain form post.
"use strict";

function typing(event) {
  const tag = event.target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.target.isContentEditable;
}

function queueKeys() {
  const rows = Array.from(document.querySelectorAll("#queue tbody tr[data-href]"));
  if (!rows.length) return;
  let at = 0;
  const mark = () => rows.forEach((row, i) => row.classList.toggle("current", i === at));
  mark();
  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { at = Math.min(at + 1, rows.length - 1); mark(); }
    else if (event.key === "k") { at = Math.max(at - 1, 0); mark(); }
    else if (event.key === "Enter" || event.key === "o") { window.location.assign(rows[at].dataset.href); }
    else return;
    event.preventDefault();
  });
}

function leadKeys() {
  const reason = document.getElementById("reason");
  if (!reason) return;
  const decide = document.getElementById("decide");
  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "a" || event.key === "r") {
      // Focus the reason: the next Enter approves (a) or, after r, rejects.
      decide.dataset.action = event.key === "a" ? "approve" : "reject";
      reason.focus();
    } else if (event.key === "e") {
      document.getElementById("edit-body").focus();
    } else if (event.key === "j" || event.key === "k") {
      window.location.assign("/review");
    } else return;
    event.preventDefault();
  });
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && decide.dataset.action === "reject") {
      event.preventDefault();
      document.getElementById("reject").click();
    }
  });
}

function readAloud() {
  const button = document.getElementById("read-aloud");
  if (!button) return;
  if (!("speechSynthesis" in window)) { button.hidden = true; return; }
  button.addEventListener("click", () => {
    if (window.speechSynthesis.speaking) { window.speechSynthesis.cancel(); return; }
    const subject = document.getElementById("draft-subject").textContent;
    const body = document.getElementById("draft-text").textContent;
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(`Subject: ${subject}. ${body}`));
  });
}

document.addEventListener("DOMContentLoaded", () => { queueKeys(); leadKeys(); readAloud(); });
