/**
 * The routes of the web shop. Each page is one file of src/pages/ (catalogue and account pages,
 * cart, checkout, orders); the layout (src/Layout.tsx) holds the header with search, cart and account.
 */
import { Route, Routes } from 'react-router';
import { Layout } from './Layout';
import { AccountPage } from './pages/Account';
import { CartPage } from './pages/Cart';
import { CategoryPage } from './pages/Category';
import { CheckoutPage } from './pages/Checkout';
import { HomePage } from './pages/Home';
import { NotFoundPage } from './pages/NotFound';
import { OrderPage } from './pages/Order';
import { OrdersPage } from './pages/Orders';
import { ProductPage } from './pages/Product';
import { RegisterPage } from './pages/Register';
import { ResetPasswordPage } from './pages/ResetPassword';
import { SearchPage } from './pages/Search';
import { SignInPage } from './pages/SignIn';

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<HomePage />} />
        <Route path="category/:slug" element={<CategoryPage />} />
        <Route path="search" element={<SearchPage />} />
        <Route path="product/:slug" element={<ProductPage />} />
        <Route path="cart" element={<CartPage />} />
        <Route path="sign-in" element={<SignInPage />} />
        <Route path="register" element={<RegisterPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="checkout" element={<CheckoutPage />} />
        <Route path="orders" element={<OrdersPage />} />
        <Route path="orders/:id" element={<OrderPage />} />
        <Route path="account" element={<AccountPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
