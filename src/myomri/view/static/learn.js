// myomri view: "learn from corrections": start segment refine on the server, poll, keep or discard.
"use strict";

window.wireLearning = function (api, say) {
  const $ = (id) => document.getElementById(id);
  let timer = null;

  function show(st) {
    $("learn-progress").hidden = st.state === "idle";
    $("learn-progress").value = st.progress || 0;
    $("learn-log").textContent = (st.log || []).join("\n");
    $("learn-decision").hidden = st.state !== "done";
    $("learn-start").disabled = st.state === "running" || st.state === "done";
    document.getElementById("learn-box").dataset.state = st.state;
    if (st.state === "done" && st.report) {
      const r = st.report, f = (x) => (x == null ? "n/a" : x.toFixed(3));
      say(`New model: mean Dice on the corrected slices ${f(r.dice_before)} -> ${f(r.dice_after)}. Keep or discard it.`, "ok");
    }
    if (st.state === "failed") say("Learning failed: " + (st.log || []).slice(-1)[0], "error");
  }

  async function poll() {
    try {
      const st = await api("learn");
      show(st);
      if (st.state === "running") timer = setTimeout(poll, 1000);
    } catch (e) { say("Learning: " + e.message, "error"); }
  }

  async function post(action) {
    try { show(await api("learn/" + action, {method: "POST", body: "{}"})); } catch (e) { say("Learning: " + e.message, "error"); }
    if (action === "start") { clearTimeout(timer); timer = setTimeout(poll, 500); }
  }

  $("learn-start").addEventListener("click", () => post("start"));
  $("learn-keep").addEventListener("click", () => post("keep"));
  $("learn-discard").addEventListener("click", () => post("discard"));
  poll();
};
