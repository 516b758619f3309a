// The report page's inline stylesheet and script (no external resource: the page's CSP would refuse one anyway).

export const REPORT_CSS = `
:root{--bg:#fff;--fg:#1d232a;--muted:#5d6875;--line:#d5dbe1;--panel:#f5f7f9;--ok:#1f883d;--fail:#cf222e;--skip:#8c959f;--cancel:#9a6700;--run:#0969da;--gate:#8250df;--backoff:#bc4c00;--crit:#e8590c}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--panel:#161b22;--ok:#3fb950;--fail:#f85149;--skip:#6e7681;--cancel:#d29922;--run:#58a6ff;--gate:#a371f7;--backoff:#db6d28;--crit:#ffa657}}
*{box-sizing:border-box}
body{margin:0;padding:16px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1280px;margin-inline:auto}
h1{font-size:1.5em;margin:.2em 0}h1 small,h3 small{color:var(--muted);font-weight:normal;font-size:.65em}
h2{border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:1.6em}
a{color:var(--run)}nav a{margin-right:1em}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:var(--panel);padding:8px;overflow:auto;max-height:24em;white-space:pre-wrap;word-break:break-word}
dl.summary,article dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
svg{max-width:100%;height:auto;font:12px system-ui,sans-serif}
svg.timeline{min-width:640px}
svg text{fill:var(--fg)}
.tick{stroke:var(--line);stroke-width:1}.tick-label{fill:var(--muted);font-size:10px}
.bar-step{fill:var(--panel);stroke:var(--line)}
.bar-attempt{stroke:var(--bg);stroke-width:1}
.attempt-ok{fill:var(--ok)}.attempt-failed{fill:var(--fail)}.attempt-open{fill:var(--cancel)}
.gap{fill:url(#hatch);stroke-width:1}.gap-backoff{stroke:var(--backoff)}.gap-gate{stroke:var(--gate)}.gap-wait{stroke:var(--skip)}
.hatch-line{stroke:var(--muted);stroke-width:2}
.row.critical .bar-step{stroke:var(--crit);stroke-width:2}.row.critical .row-label{font-weight:bold}
.row.st-skipped .row-label,.row.st-not-run .row-label{fill:var(--skip);font-style:italic}
.row.st-failed .row-label{fill:var(--fail)}
.mark{font-size:12px}
.deadline-line{stroke:var(--fail);stroke-width:2;stroke-dasharray:6 4}.deadline-label{fill:var(--fail);font-weight:bold}
.node rect{fill:var(--panel);stroke:var(--line);stroke-width:1.5}
.node.st-succeeded rect{stroke:var(--ok)}.node.st-failed rect{stroke:var(--fail);stroke-width:3}.node.st-skipped rect,.node.st-not-run rect{stroke:var(--skip);stroke-dasharray:4 3}
.node.st-cancelled rect,.node.st-running rect{stroke:var(--cancel)}
.node.critical rect{stroke-width:3}.node-type{fill:var(--muted);font-size:11px}
.edge{stroke:var(--muted);stroke-width:1.5}.edge.critical{stroke:var(--crit);stroke-width:2.5}.arrow-head{fill:var(--muted)}
.st-succeeded{color:var(--ok)}.st-failed{color:var(--fail)}.st-skipped,.st-not-run,.st-pending{color:var(--skip)}.st-cancelled,.st-running,.st-interrupted{color:var(--cancel)}
article.step,article.cluster{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:8px 12px;margin:12px 0;color:var(--fg)}
article.st-succeeded{border-left-color:var(--ok)}article.st-failed{border-left-color:var(--fail)}article.st-skipped,article.st-not-run,article.st-pending{border-left-color:var(--skip)}
article.st-cancelled,article.st-running,article.st-interrupted{border-left-color:var(--cancel)}
article.step.critical h3::after{content:" ★ critical path";color:var(--crit);font-size:.7em}
article:target,article.highlight{outline:3px solid var(--run)}
table{border-collapse:collapse;margin:8px 0;min-width:50%}caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}th{background:var(--panel)}
td.cell.st-succeeded{background:color-mix(in srgb,var(--ok) 18%,transparent)}td.cell.st-failed{background:color-mix(in srgb,var(--fail) 22%,transparent)}
td.cell.st-skipped,td.cell.st-not-run,td.cell.st-pending{background:color-mix(in srgb,var(--skip) 15%,transparent)}td.cell.st-running,td.cell.st-cancelled,td.cell.st-interrupted{background:color-mix(in srgb,var(--cancel) 18%,transparent)}
.legend span{margin-right:12px;white-space:nowrap}.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid var(--line)}
.legend i.attempt-ok{background:var(--ok)}.legend i.attempt-failed{background:var(--fail)}.legend i.attempt-open{background:var(--cancel)}
.legend i.gap-backoff{border-color:var(--backoff)}.legend i.gap-gate{border-color:var(--gate)}.legend i.gap-wait{border-color:var(--skip)}
.legend .deadline-key{color:var(--fail)}
.empty{color:var(--muted);font-style:italic}.error{color:var(--fail)}.stderr{color:var(--backoff)}
@media (max-width:640px){body{padding:8px;font-size:13px}dl.summary,article dl{grid-template-columns:1fr}dt{font-weight:bold}h1{font-size:1.2em}}
`;

/** Highlights the step a timeline bar or graph node points at (the page works without it). */
export const REPORT_SCRIPT = `
(function(){
  function mark(){
    var old=document.querySelectorAll('.highlight');
    for(var i=0;i<old.length;i++)old[i].classList.remove('highlight');
    if(!location.hash)return;
    var el=document.getElementById(location.hash.slice(1));
    if(el)el.classList.add('highlight');
  }
  window.addEventListener('hashchange',mark);
  mark();
})();
`;
