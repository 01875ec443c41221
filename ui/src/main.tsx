/**
 * The Hodei dashboard: a header with the pages and the live indicator, and the page the address
 * names. Until a token is signed in it shows the sign-in form; once it is, it learns the token's
 * role (to hide the buttons the API would refuse) and opens the one live event connection.
 */
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { get } from "./api.ts";
import { connectEvents, disconnectEvents, live } from "./events.ts";
import { JobPage } from "./pages/job.tsx";
import { JobsPage } from "./pages/jobs.tsx";
import { LoginPage } from "./pages/login.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { PipelinesPage } from "./pages/pipelines.tsx";
import { RunPage } from "./pages/run.tsx";
import { WorkersPage } from "./pages/workers.tsx";
import { href, route } from "./route.ts";
import { session } from "./session.ts";
import { applyTheme, theme, type Theme } from "./theme.ts";
import type { Caller } from "./types.ts";
import "./styles.css";

const pages = [
  ["/", "Overview"],
  ["/jobs", "Jobs"],
  ["/workers", "Workers"],
  ["/pipelines", "Pipelines"],
] as const;

const Page = () => {
  const [first, second] = route.value.parts;
  if (first === "jobs" && second !== undefined) return <JobPage id={second} />;
  if (first === "jobs") return <JobsPage />;
  if (first === "workers") return <WorkersPage />;
  if (first === "pipelines") return <PipelinesPage />;
  if (first === "runs" && second !== undefined) return <RunPage id={second} />;
  return <OverviewPage />;
};

const Header = () => {
  const current = `/${route.value.parts[0] ?? ""}`;
  const section = current === "/runs" ? "/pipelines" : current;
  return (
    <header class="top">
      <a class="brand" href="#/">
        Hodei
      </a>
      <nav aria-label="pages">
        {pages.map(([path, name]) => (
          <a key={path} href={href(path)} aria-current={section === path ? "page" : undefined}>
            {name}
          </a>
        ))}
      </nav>
      <span class={`live ${live.value ? "on" : "off"}`} role="status" data-testid="live">
        {live.value ? "live" : "offline"}
      </span>
      <span class="muted" data-testid="role">
        {session.role.value ?? ""}
      </span>
      <label class="theme">
        <span class="sr-only">theme</span>
        <select value={theme.value} onChange={(e) => applyTheme(e.currentTarget.value as Theme)}>
          <option value="system">system theme</option>
          <option value="light">light</option>
          <option value="dark">dark</option>
        </select>
      </label>
      <button type="button" onClick={() => session.signOut()}>
        Sign out
      </button>
    </header>
  );
};

const App = () => {
  const token = session.token.value;
  const code = route.value.parts[0] === "login" ? route.value.params.get("code") : null;
  useEffect(() => {
    if (token === null) {
      disconnectEvents();
      return;
    }
    get<Caller>("/whoami").then(
      (c) => {
        session.role.value = c.role;
      },
      () => undefined,
    );
    connectEvents();
    return disconnectEvents;
  }, [token]);
  if (token === null || code !== null) return <LoginPage code={code} />;
  return (
    <>
      <a
        class="skip"
        href="#content"
        onClick={(e) => (e.preventDefault(), document.getElementById("content")?.focus())}
      >
        Skip to content
      </a>
      <Header />
      <div id="content" tabIndex={-1}>
        {session.role.value === null ? <p class="muted">signing in…</p> : <Page />}
      </div>
    </>
  );
};

applyTheme(theme.value);
render(<App />, document.getElementById("app")!);
