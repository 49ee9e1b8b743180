import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { possibleTypes } from '../../schema/possible-types.json';
import { createShopClient } from './apollo';
import { App } from './App';
import { GRAPHQL_URL } from './config';
import { session, saveSession, SESSION_ENDED, SessionProvider } from './session';
import './styles.css';

const client = createShopClient({
  uri: GRAPHQL_URL,
  session,
  possibleTypes,
  onSessionChange: (next) => {
    saveSession(next);
    if (!next.token) window.dispatchEvent(new Event(SESSION_ENDED));
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <SessionProvider>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </SessionProvider>
    </ApolloProvider>
  </StrictMode>,
);
