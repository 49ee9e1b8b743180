/** The home page: the categories (links to their pages) and the newest products. */
import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { graphql } from '../__generated__';
import { Money } from '../components/Money';

const HOME = graphql(`
  query Home {
    categories {
      id
      slug
      name
    }
    products(first: 8) {
      edges {
        node {
          id
          slug
          name
          price {
            amount
            currency
          }
          inStock
        }
      }
    }
  }
`);

export function HomePage() {
  const { data, error, loading } = useQuery(HOME);
  return (
    <>
      <h1>Welcome</h1>
      {loading && <p role="status">Loading…</p>}
      {error && <p role="alert">{error.message}</p>}
      {data && (
        <>
          <section aria-labelledby="home-categories">
            <h2 id="home-categories">Categories</h2>
            <ul>
              {data.categories.map((category) => (
                <li key={category.id}>
                  <Link to={`/category/${category.slug}`}>{category.name}</Link>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="home-products">
            <h2 id="home-products">New products</h2>
            <ul>
              {data.products.edges.map(({ node }) => (
                <li key={node.id}>
                  <Link to={`/product/${node.slug}`}>{node.name}</Link> <Money money={node.price} />{' '}
                  <span>{node.inStock ? 'In stock' : 'Out of stock'}</span>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </>
  );
}
