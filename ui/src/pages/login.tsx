/**
 * Signing in: paste an API token (`hodei tokens create`, or the supervisor's `api-token` file),
 * or arrive through `hodei ui`'s one-time link, whose code is traded for the token here.
 */
import { useEffect, useState } from "preact/hooks";
import { post } from "../api.ts";
import { replace } from "../route.ts";
import { session } from "../session.ts";

export const LoginPage = ({ code }: { code: string | null }) => {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(session.notice.value);
  useEffect(() => {
    if (code === null) return;
    // The code leaves the address bar (and history) before anything else happens.
    replace("/");
    post<{ token: string }>("/ui/exchange", { code }).then(
      (r) => session.signIn(r.token),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [code]);
  return (
    <main class="login" aria-labelledby="title">
      <h1 id="title">Sign in to Hodei</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim() !== "") session.signIn(token.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby="token-help"
          required
        />
        <p id="token-help" class="muted">
          A token from <code>hodei tokens create</code>, or run <code>hodei ui</code> on the
          supervisor's machine to open this page signed in.
        </p>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  );
};
