/**
 * Every page's frame: a skip link, the header (shop name, categories, search, account and cart), the
 * page in <main>, and a footer. The search box sends the shopper to /search?q=….
 */
import { useState, type FormEvent } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useSession } from './session';

export function Layout() {
  const { signedIn, signOut } = useSession();
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const search = (event: FormEvent) => {
    event.preventDefault();
    if (query.trim()) navigate(`/search?q=${encodeURIComponent(query.trim())}`);
  };
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Shop
        </Link>
        <form role="search" onSubmit={search} className="site-search">
          <label htmlFor="site-search">Search products</label>
          <input
            id="site-search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            maxLength={200}
          />
          <button type="submit">Search</button>
        </form>
        <nav aria-label="Account">
          <ul>
            {signedIn ? (
              <>
                <li>
                  <NavLink to="/orders">Orders</NavLink>
                </li>
                <li>
                  <NavLink to="/account">Account</NavLink>
                </li>
                <li>
                  <button
                    type="button"
                    className="link"
                    onClick={() => void signOut().then(() => navigate('/'))}
                  >
                    Sign out
                  </button>
                </li>
              </>
            ) : (
              <>
                <li>
                  <NavLink to="/sign-in">Sign in</NavLink>
                </li>
                <li>
                  <NavLink to="/register">Register</NavLink>
                </li>
              </>
            )}
            <li>
              <NavLink to="/cart">Cart</NavLink>
            </li>
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>Demo shop on a federated GraphQL supergraph. Test cards only.</p>
      </footer>
    </>
  );
}
