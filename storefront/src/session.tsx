/**
 * The shopper's session: the access and refresh tokens of `login`/`register`, kept in localStorage so
 * a reload stays signed in. The Apollo client (src/apollo.ts) reads the same object on every request
 * and refreshes it when the gateway says the access token expired; signing out ends the session on
 * the server (`logout`) and empties the cache.
 */
import { graphql } from './__generated__';
import { useApolloClient } from '@apollo/client/react';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Session } from './apollo';

const KEY = 'shop.session';
/** Dispatched on window when a refresh could not renew the session (src/main.tsx). */
export const SESSION_ENDED = 'shop:session-ended';

/** The one session object the Apollo client holds; mutated in place. */
export const session: Session = load();

function load(): Session {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Session;
    return { token: stored.token, refreshToken: stored.refreshToken };
  } catch {
    return {};
  }
}

export function saveSession(next: Session): void {
  session.token = next.token;
  session.refreshToken = next.refreshToken;
  if (session.token) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

const LOGOUT = graphql(`
  mutation Logout($refreshToken: String!) {
    logout(refreshToken: $refreshToken) {
      __typename
    }
  }
`);

interface SessionState {
  signedIn: boolean;
  /** After login/register: keep the tokens and refetch what the viewer sees. */
  signIn(tokens: { token: string; refreshToken: string }): Promise<void>;
  signOut(): Promise<void>;
  /** The refresh failed (the session ended elsewhere): forget the tokens. */
  expired(): void;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useApolloClient();
  const [signedIn, setSignedIn] = useState(Boolean(session.token));
  const signIn = useCallback(
    async (tokens: { token: string; refreshToken: string }) => {
      saveSession(tokens);
      setSignedIn(true);
      await client.resetStore();
    },
    [client],
  );
  const signOut = useCallback(async () => {
    const refreshToken = session.refreshToken;
    saveSession({});
    setSignedIn(false);
    if (refreshToken)
      await client.mutate({ mutation: LOGOUT, variables: { refreshToken } }).catch(() => undefined);
    await client.clearStore();
  }, [client]);
  const expired = useCallback(() => {
    saveSession({});
    setSignedIn(false);
  }, []);
  useEffect(() => {
    const ended = () => expired();
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, [expired]);
  const value = useMemo(() => ({ signedIn, signIn, signOut, expired }), [signedIn, signIn, signOut, expired]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
