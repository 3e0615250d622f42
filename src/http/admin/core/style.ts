/**
 * The console's one stylesheet, inlined (no CDN; the CSP admits it by nonce). Mobile first:
 * readable at 375 px, wide tables scroll inside their box instead of widening the page; on a
 * phone the nav takes its own full-width rows under the brand and the log-out button, and the
 * calls table keeps its time column in view while it scrolls sideways.
 * @module
 */
export const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f4f6f9}
a{color:#1659a6}
header.top{background:#1d2430;color:#fff}
header.top .in{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .9rem;max-width:72rem;margin:0 auto;padding:.5rem .75rem}
header.top .brand{font-weight:700;color:#fff;text-decoration:none;margin-right:.5rem}
nav.main{display:flex;flex-wrap:wrap;gap:.15rem .8rem;flex:1}
nav.main a{color:#c9d3e0;text-decoration:none;padding:.2rem 0}
nav.main a[aria-current=page]{color:#fff;border-bottom:2px solid #6aa7ff}
header.top form{margin:0}
header.top button{background:none;border:1px solid #56627a;color:#c9d3e0;padding:.15rem .6rem}
main{max-width:72rem;margin:0 auto;padding:.75rem}
h1{font-size:1.3rem;margin:.3rem 0 .8rem}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:.75rem .9rem;margin:.75rem 0;min-width:0}
.card>h2:first-child,.card>h1:first-child{margin-top:0}
figure{margin:.5rem 0}
h3{font-size:.95rem;margin:1rem 0 .4rem}
.grid{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr))}
.grid .card{margin:0}
.big{font-size:1.6rem;font-weight:700}
.muted{color:#5b6575;font-size:.88rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.85rem;font-weight:600;background:#e6e9ee;white-space:nowrap}
.s-delivered,.s-ok,.s-done,.s-answered,.s-archived{background:#d9f2e0;color:#17603a}
.s-pending,.s-running,.s-paused,.s-unsettled{background:#fdf1d2;color:#7a5400}
.s-failed,.s-blocked,.s-unauthorized,.s-missed,.s-busy,.s-refused{background:#fadcd9;color:#8c1d13}
.s-skipped,.s-purged,.s-referenced,.s-not_recorded{background:#e6e9ee;color:#3d4757}
.notice{border-left:4px solid #2f7d4a;background:#eaf6ee;padding:.5rem .75rem;margin:.5rem 0}
.notice.warn{border-color:#b7791f;background:#fdf4e3}
.notice.error{border-color:#b3261e;background:#fbeae8}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;background:#fff;border:1px solid #dde1e7;border-radius:8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #eef0f3;vertical-align:top;white-space:nowrap}
th{font-size:.82rem;color:#5b6575;font-weight:600;background:#f8f9fb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{white-space:normal;min-width:14rem}
dl.kv{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.2rem .9rem;margin:0}
dl.kv dt{color:#5b6575}
dl.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
form.filters{display:grid;gap:.5rem;grid-template-columns:1fr}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:#5b6575;gap:.15rem}
form.filters fieldset{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;min-width:0;border:1px solid #dde1e7;border-radius:6px;font-size:.85rem;color:#5b6575}
form.filters fieldset label{flex-direction:row;align-items:center;gap:.35rem;color:#1d2430}
input,select,button,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #b9c1cd;border-radius:6px;background:#fff;color:inherit;max-width:100%}
button{cursor:pointer;background:#1659a6;border-color:#1659a6;color:#fff}
button.secondary{background:#fff;color:#1659a6}
button[aria-pressed=true]{background:#1d2430;border-color:#1d2430;color:#fff}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
.actions form{margin:0}
.pager{display:flex;gap:1rem;margin:.6rem 0}
audio{width:100%;max-width:36rem;display:block;margin:.4rem 0}
.speeds{display:flex;flex-wrap:wrap;gap:.35rem;border:0;margin:0;padding:0;min-width:0}
svg{display:block;max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#1d2430}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
pre.config{font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;overflow:auto;margin:0;padding:12px;background:#f6f7f9;border-radius:6px}
.timeline .leg{display:grid;grid-template-columns:1fr;gap:.1rem .75rem;margin:.35rem 0;align-items:center}
.timeline .leg svg{width:100%;height:1.15rem}
.timeline .axis{display:flex;justify-content:space-between;gap:1rem;font-size:.8rem}
.chart .row{display:grid;grid-template-columns:5rem 1fr 3rem;gap:.5rem;align-items:center;margin:.2rem 0}
.chart .row svg{width:100%;height:1rem}
.legend{display:flex;flex-wrap:wrap;gap:.75rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
.legend .k-answered{background:#2f7d4a}
.legend .k-missed{background:#d05a4e}
.legend .k-rung{background:#b9c1cd}
.login{max-width:24rem;margin:3rem auto}
.login label{display:block;margin:.5rem 0}
.login input{width:100%}
form.stacked label{display:flex;flex-direction:column;gap:.15rem;margin:.5rem 0;max-width:40rem}
textarea{width:100%;box-sizing:border-box;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
@media (max-width:47.99rem){
  header.top .in{gap:.25rem .8rem}
  header.top form{margin-left:auto}
  nav.main{order:3;flex-basis:100%;gap:0 .9rem;padding-bottom:.15rem}
  nav.main a{padding:.3rem 0}
  #calls-table tbody td:first-child,#calls-table thead th:first-child{position:sticky;left:0;z-index:1;box-shadow:1px 0 0 #dde1e7}
  #calls-table tbody td:first-child{background:#fff}
}
@media (min-width:48rem){
  main{padding:1rem 1.25rem}
  form.filters{grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));align-items:end}
  .timeline .leg{grid-template-columns:16rem 1fr}
}
`;
