/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An instant in time, ISO-8601 in UTC. */
  DateTime: { input: string; output: string; }
};

/** Units of a product to put in a cart. */
export type AddToCartInput = {
  /** The cart; omitted: the signed-in customer's cart, or a new anonymous cart. */
  cartId?: InputMaybe<Scalars['ID']['input']>;
  /** The product (an id as issued). */
  productId: Scalars['ID']['input'];
  /** How many units to add: 1 to 100; the line may hold at most MAX_LINE_QUANTITY. */
  quantity: Scalars['Int']['input'];
  /** Its variant (as issued); omitted: the product's only variant (refused for a product with several). */
  variantId?: InputMaybe<Scalars['ID']['input']>;
};

/** An address of a user's address book, validated and normalised for its country. */
export type Address = {
  __typename?: 'Address';
  /** City. */
  city: Scalars['String']['output'];
  /** Company, if any. */
  company?: Maybe<Scalars['String']['output']>;
  /** ISO 3166-1 alpha-2 code, e.g. DE. */
  country: Scalars['String']['output'];
  /** When the address was added. */
  createdAt: Scalars['DateTime']['output'];
  /** Stable identifier of the address (a lower-case UUID); checkout takes it as addressId. */
  id: Scalars['ID']['output'];
  /** True for the user's default shipping address (at most one per user). */
  isDefaultShipping: Scalars['Boolean']['output'];
  /** Street and number. */
  line1: Scalars['String']['output'];
  /** Second address line, if any. */
  line2?: Maybe<Scalars['String']['output']>;
  /** The recipient's name. */
  name: Scalars['String']['output'];
  /** Phone for the carrier (E.164), if any. */
  phone?: Maybe<Scalars['String']['output']>;
  /** Postal code in the country's form, e.g. 10115, 1012 AB or SW1A 1AA. */
  postalCode: Scalars['String']['output'];
  /** State or region code where the country needs one (US, e.g. NY), else null. */
  region?: Maybe<Scalars['String']['output']>;
};

/** A page of a user's address book. */
export type AddressConnection = {
  __typename?: 'AddressConnection';
  /** The addresses of this page, newest first. */
  edges: Array<AddressEdge>;
  /** Whether more pages follow. */
  pageInfo: PageInfo;
};

/** An address with its cursor. */
export type AddressEdge = {
  __typename?: 'AddressEdge';
  /** Opaque cursor of this address; pass it as after for the next page. */
  cursor: Scalars['String']['output'];
  /** The address. */
  node: Address;
};

/** A postal address, given inline (checkout) or stored in the address book (users). */
export type AddressInput = {
  /** City, 1 to 100 characters. */
  city: Scalars['String']['input'];
  /** Company, at most 100 characters. */
  company?: InputMaybe<Scalars['String']['input']>;
  /** ISO 3166-1 alpha-2 code, upper case: one of Query.countries. */
  country: Scalars['String']['input'];
  /** Street and number, 1 to 100 characters. */
  line1: Scalars['String']['input'];
  /** Second address line, at most 100 characters. */
  line2?: InputMaybe<Scalars['String']['input']>;
  /** The recipient's name, 1 to 100 characters. */
  name: Scalars['String']['input'];
  /** Phone for the carrier, international form (stored as E.164). */
  phone?: InputMaybe<Scalars['String']['input']>;
  /** Postal code in the country's shape (e.g. 10115, 1012 AB, SW1A 1AA, 10001). */
  postalCode: Scalars['String']['input'];
  /** State code, required for US addresses (e.g. NY). */
  region?: InputMaybe<Scalars['String']['input']>;
};

/** The address book is full; delete an address first. */
export type AddressLimitError = Error & {
  __typename?: 'AddressLimitError';
  /** Most addresses one user may keep (20). */
  limit: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** No address with this id in the customer's address book. */
export type AddressNotFoundError = Error & {
  __typename?: 'AddressNotFoundError';
  /** The id that was asked for. */
  addressId: Scalars['ID']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Result of adjustStock. */
export type AdjustStockResult = InvalidInputError | Product | ProductNotFoundError | StockBelowZeroError | StockLimitError | VariantNotFoundError;

/** A code to put on a cart. */
export type ApplyDiscountCodeInput = {
  /** The cart. */
  cartId: Scalars['ID']['input'];
  /** The code; letter case and surrounding spaces do not matter. */
  code: Scalars['String']['input'];
};

/** The result of applyDiscountCode: the cart with the code, or why the code does not apply. */
export type ApplyDiscountCodeResult = Cart | CartNotFoundError | DiscountCodeAlreadyUsedError | DiscountCodeMinimumNotMetError | DiscountCodeNotActiveError | DiscountCodeNotFoundError | DiscountCodeUsedUpError | InvalidInputError | ProductsUnavailableError;

/** A successful sign-in (register, login, refreshSession, changePassword): a short-lived access token, the session's refresh token and the account. */
export type AuthPayload = {
  __typename?: 'AuthPayload';
  /** When the access token stops being accepted (JWT_TTL_SECONDS, 15 minutes by default); get a new one with refreshSession. */
  expiresAt: Scalars['DateTime']['output'];
  /** When the refresh token expires if it is not used (SESSION_IDLE_SECONDS after it was issued, never past the session's absolute lifetime, SESSION_MAX_SECONDS after the sign-in). */
  refreshExpiresAt: Scalars['DateTime']['output'];
  /** Refresh token of this session: opaque (43 characters), single use. Send it once to refreshSession for a new access token and the next refresh token; a refresh token used twice ends the session. Keep it secret and never send it anywhere else. */
  refreshToken: Scalars['String']['output'];
  /** Access token (JWT, EdDSA) to send as `Authorization: Bearer <token>`. */
  token: Scalars['String']['output'];
  /** The account the tokens belong to. */
  user: User;
};

/**
 * How many units a shopper can order, without the exact count (exact counts help scrapers; admins see
 * `stock`). LOW_STOCK: 1 to LOW_STOCK_THRESHOLD units (default 5).
 */
export type Availability =
  /** More than LOW_STOCK_THRESHOLD units can be ordered. */
  | 'IN_STOCK'
  /** Between 1 and LOW_STOCK_THRESHOLD units can be ordered. */
  | 'LOW_STOCK'
  /** Nothing can be ordered now. */
  | 'OUT_OF_STOCK';

/** The result of cancelOrder: the cancelled order, or why it was not cancelled. */
export type CancelOrderResult = Order | OrderNotCancellableError | OrderNotFoundError | OrderPaymentInProgressError;

/** The provider declined the card; the attempt is recorded as a FAILED payment. */
export type CardDeclinedError = Error & {
  __typename?: 'CardDeclinedError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The recorded FAILED payment. */
  payment: Payment;
  /** Why the card was declined. */
  reason: PaymentFailureReason;
};

/** A shopping cart: lines priced live from the catalogue. It holds no stock; checkout reserves it. */
export type Cart = {
  __typename?: 'Cart';
  /** The customer the cart belongs to; null for an anonymous cart. */
  customer?: Maybe<User>;
  /** What the code would take off the subtotal now (0 without a code or when it does not apply now). */
  discount: Money;
  /** The discount code on the cart, if any. */
  discountCode?: Maybe<Scalars['String']['output']>;
  /** Why the cart's code would be refused at checkout now; null when it applies (or there is none). */
  discountProblem?: Maybe<Scalars['String']['output']>;
  /** When the cart is deleted unless it is changed before (CART_IDLE_SECONDS after updatedAt). */
  expiresAt: Scalars['DateTime']['output'];
  /** The cart's id: an unguessable token, the only key to an anonymous cart. */
  id: Scalars['ID']['output'];
  /** The lines, in the order their products were first added. */
  lines: Array<CartLine>;
  /** Units in the cart, over all lines. */
  quantity: Scalars['Int']['output'];
  /** Sum of the lines at today's prices (lines whose product is gone count 0). */
  subtotal: Money;
  /** When the cart was last changed. */
  updatedAt: Scalars['DateTime']['output'];
};

/** The cart changed while it was being checked out; nothing was ordered and no stock is held. Look at the cart and check out again. */
export type CartChangedError = Error & {
  __typename?: 'CartChangedError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** One product in a cart. */
export type CartLine = {
  __typename?: 'CartLine';
  /** Price of one unit when the line was last added to or changed. */
  addedUnitPrice: Money;
  /** Units that can be ordered now. */
  available: Scalars['Int']['output'];
  /** unitPrice times quantity; null when the product is gone. */
  lineTotal?: Maybe<Money>;
  /** True when unitPrice differs from addedUnitPrice. */
  priceChanged: Scalars['Boolean']['output'];
  /** The product. */
  product: Product;
  /** The product's name now; its name when it was added once the product is gone. */
  productName: Scalars['String']['output'];
  /** How many units. */
  quantity: Scalars['Int']['output'];
  /** Whether the line can be checked out as it is. */
  status: CartLineStatus;
  /** Price of one unit now; null when the product is gone. */
  unitPrice?: Maybe<Money>;
  /** The variant in the cart (a line is one variant). */
  variant: ProductVariant;
  /** The variant's option values now (e.g. M / Blue); empty for a product without options. */
  variantTitle: Scalars['String']['output'];
};

/** A cart holds at most MAX_CART_LINES products and MAX_LINE_QUANTITY units of one; nothing was changed. */
export type CartLineLimitError = Error & {
  __typename?: 'CartLineLimitError';
  /** Most distinct products in a cart. */
  maxLines: Scalars['Int']['output'];
  /** Most units of one product. */
  maxQuantity: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Whether a cart line can be checked out as it is now. */
export type CartLineStatus =
  /** In stock for the line's quantity. */
  | 'AVAILABLE'
  /** In stock, but fewer units than the line's quantity (available says how many). */
  | 'INSUFFICIENT_STOCK'
  /** No unit in stock. */
  | 'OUT_OF_STOCK'
  /** The product no longer exists in the catalogue; remove the line. */
  | 'PRODUCT_UNAVAILABLE';

/** No cart with this id that the request may use (it never existed, expired, was merged or is someone else's). */
export type CartNotFoundError = Error & {
  __typename?: 'CartNotFoundError';
  /** The id that was asked for. */
  cartId: Scalars['ID']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The result of the cart mutations: the cart as it is now, or why nothing changed. */
export type CartResult = Cart | CartLineLimitError | CartNotFoundError | InvalidInputError | ProductsUnavailableError | UnknownProductError;

/** A category of the catalogue: a tree (a category has at most one parent). */
export type Category = {
  __typename?: 'Category';
  /** The path from the top-level category down to this one, itself included (for breadcrumbs). */
  breadcrumbs: Array<Category>;
  /** The sub-categories, in menu order. */
  children: Array<Category>;
  /** Description (plain text, at most 2,000 characters; may be empty). */
  description: Scalars['String']['output'];
  /** Opaque identifier of the category. */
  id: Scalars['ID']['output'];
  /** Display name. */
  name: Scalars['String']['output'];
  /** The parent; null for a top-level category. */
  parent?: Maybe<Category>;
  /** Position among its siblings (menus sort by it, then by name). */
  position: Scalars['Int']['output'];
  /** Products of this category and of its sub-categories, as a connection with the usual filters. */
  products: ProductConnection;
  /** Unique, stable URL name, e.g. headphones. */
  slug: Scalars['String']['output'];
};


/** A category of the catalogue: a tree (a category has at most one parent). */
export type CategoryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ProductFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<ProductSort>;
};

/** The category cannot be deleted: it has sub-categories or products. */
export type CategoryNotEmptyError = Error & {
  __typename?: 'CategoryNotEmptyError';
  /** Its sub-categories. */
  children: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** Products that belong to it. */
  products: Scalars['Int']['output'];
};

/** No category has this id. */
export type CategoryNotFoundError = Error & {
  __typename?: 'CategoryNotFoundError';
  /** The id that was looked up. */
  categoryId: Scalars['ID']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Result of createCategory and updateCategory. */
export type CategoryResult = Category | CategoryNotFoundError | DuplicateSlugError | InvalidInputError;

/** The result of changePassword: a new session for the caller (every other one ended), or why the change was refused. */
export type ChangePasswordResult = AuthPayload | InvalidCredentialsError | InvalidInputError | TooManyAttemptsError;

/** Where and how to ship a cart, and the key that makes checkout safe to retry. */
export type CheckoutInput = {
  /** An address of the customer's address book; give this or shippingAddress. */
  addressId?: InputMaybe<Scalars['ID']['input']>;
  /** The cart: the signed-in customer's own or an anonymous one. */
  cartId: Scalars['ID']['input'];
  /** A discount code; replaces the cart's code when given. */
  discountCode?: InputMaybe<Scalars['String']['input']>;
  /** 1-128 characters of letters, digits, - _ . : . Repeating it with the same cart, address or addressId, shipping method and discount code answers the first order (whatever the cart holds by then); with any of them different it is IdempotencyKeyReusedError. */
  idempotencyKey: Scalars['String']['input'];
  /** An address given inline; give this or addressId. */
  shippingAddress?: InputMaybe<AddressInput>;
  /** A method of Query.shippingMethods for the address's country. */
  shippingMethodId: Scalars['ID']['input'];
};

/** The result of checkout: the order waiting for payment, or why none was placed (the cart is then unchanged and no stock is held). */
export type CheckoutResult = AddressNotFoundError | CartChangedError | CartNotFoundError | DiscountCodeAlreadyUsedError | DiscountCodeMinimumNotMetError | DiscountCodeNotActiveError | DiscountCodeNotFoundError | DiscountCodeUsedUpError | EmptyCartError | IdempotencyKeyReusedError | InsufficientStockError | InvalidInputError | Order | OrderTotalLimitError | ProductsUnavailableError | ShippingMethodNotFoundError | TooManyUnpaidOrdersError | UnknownProductError;

/** A country the shop ships to, with what its addresses need. */
export type Country = {
  __typename?: 'Country';
  /** ISO 3166-1 alpha-2 code, upper case, e.g. DE: what AddressInput.country takes. */
  code: Scalars['String']['output'];
  /** English name, e.g. Germany. */
  name: Scalars['String']['output'];
  /** A valid postal code, e.g. 10115, for a form's placeholder. */
  postalCodeExample: Scalars['String']['output'];
  /** The allowed region codes where requiresRegion (e.g. NY), else empty. */
  regions: Array<Scalars['String']['output']>;
  /** True when an address needs a region (a US state). */
  requiresRegion: Scalars['Boolean']['output'];
};

/** The result of createAddress: the new address, or why it was refused. */
export type CreateAddressResult = Address | AddressLimitError | InvalidInputError;

/** A new category. */
export type CreateCategoryInput = {
  /** Description, at most 2,000 characters. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Display name, 1-100 characters. */
  name: Scalars['String']['input'];
  /** The parent category's id; omitted: a top-level category. */
  parentId?: InputMaybe<Scalars['ID']['input']>;
  /** Position among its siblings (default 0). */
  position?: InputMaybe<Scalars['Int']['input']>;
  /** URL name (default: made from the name); unique among all categories. */
  slug?: InputMaybe<Scalars['String']['input']>;
};

/** A new discount code. */
export type CreateDiscountCodeInput = {
  /** The code: 3 to 32 letters, digits, - and _; stored upper case, unique regardless of case. */
  code: Scalars['String']['input'];
  /** Valid until; omitted: open-ended. After startsAt. */
  endsAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** Percentage or fixed amount. */
  kind: DiscountKind;
  /** The smallest subtotal it applies to, in minor units; omitted: any. */
  minimumSubtotal?: InputMaybe<Scalars['Int']['input']>;
  /** Valid from; omitted: now. */
  startsAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** How many orders may use it in all, 1 to 1000000; omitted: unlimited. */
  usageLimit?: InputMaybe<Scalars['Int']['input']>;
  /** How many orders of one customer may use it, 1 to 1000; omitted: unlimited. */
  usageLimitPerCustomer?: InputMaybe<Scalars['Int']['input']>;
  /** Percent 1-100 (PERCENTAGE) or minor units 1-MAX_ORDER_TOTAL (FIXED_AMOUNT). */
  value: Scalars['Int']['input'];
};

/** The result of createDiscountCode. */
export type CreateDiscountCodeResult = DiscountCode | DiscountCodeTakenError | InvalidInputError;

/** A new product. */
export type CreateProductInput = {
  /** Slug of its category; created as a top-level category when there is none. Give this or categoryIds. */
  category?: InputMaybe<Scalars['String']['input']>;
  /** Ids of its categories (1 to 10), the primary first. Give this or category. */
  categoryIds?: InputMaybe<Array<Scalars['ID']['input']>>;
  /** Description, at most 10,000 characters (default empty). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Images in display order (at most 20). */
  images?: InputMaybe<Array<ImageInput>>;
  /** Display name, 1-200 characters. */
  name: Scalars['String']['input'];
  /** Options (at most 3, each with 1 to 50 values); with options, give variants too. */
  options?: InputMaybe<Array<ProductOptionInput>>;
  /** Unit price of the default variant. */
  price: MoneyInput;
  /** Unique stock-keeping unit of the default variant: 1-64 characters of letters, digits, '-' and '_'. */
  sku: Scalars['String']['input'];
  /** URL name: 1-100 lower-case letters, digits and single '-' (default: made from the name, made unique). */
  slug?: InputMaybe<Scalars['String']['input']>;
  /** Initial stock of the default variant, zero up to the maximum (MAX_STOCK, default 1,000,000; default 0). */
  stock?: InputMaybe<Scalars['Int']['input']>;
  /** The variants (1 to 100), each with one value of every option; without options, the default variant is made from sku, price and stock. */
  variants?: InputMaybe<Array<VariantInput>>;
};

/** Result of createProduct. */
export type CreateProductResult = CategoryNotFoundError | DuplicateSkuError | DuplicateSlugError | InvalidInputError | PriceLimitError | Product | StockLimitError;

/** The result of deleteAddress. */
export type DeleteAddressResult = AddressNotFoundError | DeleteAddressSuccess;

/** The address was deleted. */
export type DeleteAddressSuccess = {
  __typename?: 'DeleteAddressSuccess';
  /** The id of the deleted address. */
  deletedId: Scalars['ID']['output'];
};

/** Result of deleteCategory. */
export type DeleteCategoryResult = CategoryNotEmptyError | CategoryNotFoundError | DeletedCategory;

/** A category that was deleted. */
export type DeletedCategory = {
  __typename?: 'DeletedCategory';
  /** Its id. */
  id: Scalars['ID']['output'];
};

/** A discount code (administrators only). */
export type DiscountCode = {
  __typename?: 'DiscountCode';
  /** The code, upper case, e.g. WELCOME10. */
  code: Scalars['String']['output'];
  /** When it was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Valid until (exclusive); null when open-ended. */
  endsAt?: Maybe<Scalars['DateTime']['output']>;
  /** Percentage or fixed amount. */
  kind: DiscountKind;
  /** The smallest subtotal it applies to; null when any. */
  minimumSubtotal?: Maybe<Money>;
  /** Valid from (inclusive); null when from its creation. */
  startsAt?: Maybe<Scalars['DateTime']['output']>;
  /** How many orders use it now (orders cancelled or expired unpaid give their use back). */
  timesUsed: Scalars['Int']['output'];
  /** How many orders may use it in all; null when unlimited. */
  usageLimit?: Maybe<Scalars['Int']['output']>;
  /** How many orders of one customer may use it; null when unlimited. */
  usageLimitPerCustomer?: Maybe<Scalars['Int']['output']>;
  /** Percent (PERCENTAGE) or minor units (FIXED_AMOUNT). */
  value: Scalars['Int']['output'];
};

/** The customer used the code as often as one customer may. */
export type DiscountCodeAlreadyUsedError = Error & {
  __typename?: 'DiscountCodeAlreadyUsedError';
  /** The code. */
  code: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** A page of discount codes. */
export type DiscountCodeConnection = {
  __typename?: 'DiscountCodeConnection';
  /** The codes of this page, newest first. */
  edges: Array<DiscountCodeEdge>;
  /** Where this page sits in the list. */
  pageInfo: PageInfo;
};

/** A discount code and its cursor. */
export type DiscountCodeEdge = {
  __typename?: 'DiscountCodeEdge';
  /** Opaque cursor of this code, for after. */
  cursor: Scalars['String']['output'];
  /** The code. */
  node: DiscountCode;
};

/** The cart's subtotal is below the code's minimum. */
export type DiscountCodeMinimumNotMetError = Error & {
  __typename?: 'DiscountCodeMinimumNotMetError';
  /** The code. */
  code: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The smallest subtotal the code applies to. */
  minimumSubtotal: Money;
};

/** The code is not valid now: before startsAt or from endsAt on. */
export type DiscountCodeNotActiveError = Error & {
  __typename?: 'DiscountCodeNotActiveError';
  /** The code. */
  code: Scalars['String']['output'];
  /** Valid until, if set. */
  endsAt?: Maybe<Scalars['DateTime']['output']>;
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** Valid from, if set. */
  startsAt?: Maybe<Scalars['DateTime']['output']>;
};

/** No discount code is spelled like this. */
export type DiscountCodeNotFoundError = Error & {
  __typename?: 'DiscountCodeNotFoundError';
  /** The code as given. */
  code: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** A discount code spelled like this exists already (letter case does not matter). */
export type DiscountCodeTakenError = Error & {
  __typename?: 'DiscountCodeTakenError';
  /** The code. */
  code: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Every use of the code is taken. */
export type DiscountCodeUsedUpError = Error & {
  __typename?: 'DiscountCodeUsedUpError';
  /** The code. */
  code: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** How a discount code takes money off. */
export type DiscountKind =
  /** value is an amount in minor units, never more than the subtotal. */
  | 'FIXED_AMOUNT'
  /** value is a percentage of the subtotal, 1 to 100. */
  | 'PERCENTAGE';

/** Another product already uses this SKU. */
export type DuplicateSkuError = Error & {
  __typename?: 'DuplicateSkuError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The SKU that is taken. */
  sku: Scalars['String']['output'];
};

/** Another product or category already uses this slug. */
export type DuplicateSlugError = Error & {
  __typename?: 'DuplicateSlugError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The slug that is taken. */
  slug: Scalars['String']['output'];
};

/** An account with this email address already exists. */
export type EmailTakenError = Error & {
  __typename?: 'EmailTakenError';
  /** The email address that is taken, as it was given. */
  email: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The order had no lines. */
export type EmptyCartError = Error & {
  __typename?: 'EmptyCartError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** A failure a client is expected to handle; returned as data in mutation results. */
export type Error = {
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Hand a paid order to a carrier. */
export type FulfillOrderInput = {
  /** The carrier: one of DHL, DPD, UPS, FEDEX, USPS, ROYAL_MAIL, POSTNL. */
  carrier: Scalars['String']['input'];
  /** The order. */
  orderId: Scalars['ID']['input'];
  /** The carrier's tracking number, 4 to 40 letters, digits and dashes. */
  trackingNumber: Scalars['String']['input'];
};

/** The result of fulfillOrder. */
export type FulfillOrderResult = InvalidInputError | Order | OrderNotFoundError | OrderStatusError;

/** How a shipped order travels. */
export type Fulfilment = {
  __typename?: 'Fulfilment';
  /** The carrier, e.g. DHL. */
  carrier: Scalars['String']['output'];
  /** The carrier's tracking number. */
  trackingNumber: Scalars['String']['output'];
  /** The carrier's tracking page for this parcel. */
  trackingUrl: Scalars['String']['output'];
};

/** The idempotency key was already used by this user with other items. */
export type IdempotencyKeyReusedError = Error & {
  __typename?: 'IdempotencyKeyReusedError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The order first placed with this key. */
  orderId: Scalars['ID']['output'];
};

/** An image of a product, served with long cache headers. */
export type Image = {
  __typename?: 'Image';
  /** Text alternative for screen readers and when the image cannot be shown. */
  altText: Scalars['String']['output'];
  /** Height in pixels. */
  height: Scalars['Int']['output'];
  /** Absolute URL of the image. */
  url: Scalars['String']['output'];
  /** Width in pixels. */
  width: Scalars['Int']['output'];
};

/** An image to show with a product or variant. */
export type ImageInput = {
  /** Text alternative, at most 500 characters. */
  altText: Scalars['String']['input'];
  /** Height in pixels, 1 to 10,000. */
  height: Scalars['Int']['input'];
  /** Absolute https URL, or a path under /images/ of this service (at most 2,000 characters). */
  url: Scalars['String']['input'];
  /** Width in pixels, 1 to 10,000. */
  width: Scalars['Int']['input'];
};

/** A variant of a product has fewer units in stock than ordered; nothing was reserved. */
export type InsufficientStockError = Error & {
  __typename?: 'InsufficientStockError';
  /** How many units are available now. */
  available: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The product that is short. */
  productId: Scalars['ID']['output'];
  /** How many units were ordered. */
  requested: Scalars['Int']['output'];
  /** Its variant that is short (null only if products did not say). */
  variantId?: Maybe<Scalars['ID']['output']>;
};

/** The email address or password is wrong (deliberately not saying which); for changePassword, the current password is wrong. */
export type InvalidCredentialsError = Error & {
  __typename?: 'InvalidCredentialsError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** An input value was rejected; field names the offending input field. */
export type InvalidInputError = Error & {
  __typename?: 'InvalidInputError';
  /** The input field that was rejected, e.g. email. */
  field: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The refresh token is unknown, expired, revoked, or was already used (using a spent refresh token also ends its whole session, as it means someone else holds a copy); sign in again. */
export type InvalidRefreshTokenError = Error & {
  __typename?: 'InvalidRefreshTokenError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The password reset token is unknown, already used or expired; ask for a new link. */
export type InvalidResetTokenError = Error & {
  __typename?: 'InvalidResetTokenError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Credentials for signing in. */
export type LoginInput = {
  /** Email address of the account (letter case does not matter). */
  email: Scalars['String']['input'];
  /** Password of the account. */
  password: Scalars['String']['input'];
};

/** The result of login: a token, or why it was refused. */
export type LoginResult = AuthPayload | InvalidCredentialsError | InvalidInputError | TooManyAttemptsError;

/** Every session of the signed-in user was ended. */
export type LogoutEverywhereSuccess = {
  __typename?: 'LogoutEverywhereSuccess';
  /** How many sessions were ended (0 when none was open). */
  revokedSessions: Scalars['Int']['output'];
};

/** The sign-out was carried out; deliberately the same answer whether the refresh token named a session or not. */
export type LogoutSuccess = {
  __typename?: 'LogoutSuccess';
  /** Always true. */
  ok: Scalars['Boolean']['output'];
};

/** The result of markOrderDelivered. */
export type MarkOrderDeliveredResult = Order | OrderNotFoundError | OrderStatusError;

/** An amount of money in minor units (cents) of a currency. Never a float. */
export type Money = {
  __typename?: 'Money';
  /** Amount in minor units, e.g. 1999 for 19.99. */
  amount: Scalars['Int']['output'];
  /** ISO-4217 currency code, e.g. EUR. */
  currency: Scalars['String']['output'];
};

/** Price as given in product input. */
export type MoneyInput = {
  /** Amount in minor units, zero up to the maximum unit price (MAX_PRICE_AMOUNT, default 1,000,000). */
  amount: Scalars['Int']['input'];
  /** Currency code: EUR, USD or GBP. */
  currency: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Adds units of a product to a cart. Without cartId it adds to the signed-in customer's cart, or, for an anonymous request, creates a new anonymous cart (keep its id: it is the only key to it). No stock is held by a cart. */
  addToCart: CartResult;
  /** Adds a variant to a product with options (one value of each option, a combination not offered yet). Administrators only. */
  addVariant: VariantResult;
  /**
   * Adds (positive delta) or removes (negative delta) units of stock atomically; never below zero nor
   * above the maximum on hand (MAX_STOCK). Administrators only.
   */
  adjustStock: AdjustStockResult;
  /** Puts a discount code on a cart (a cart holds one code: a new one replaces the old) after checking it against the cart as it is now. Checkout checks it again. */
  applyDiscountCode: ApplyDiscountCodeResult;
  /** Cancels an order of the signed-in user that is still waiting for payment; its stock goes back to products. Refused while a payment of it is in progress. */
  cancelOrder: CancelOrderResult;
  /** Changes the signed-in user's password. The current password is checked with the same throttling as login. Every session of the account is ended, and the answer is a new session for the caller. Requires authentication. */
  changePassword: ChangePasswordResult;
  /** Signed-in customers: turns a cart into an order waiting for payment (then payOrder as with placeOrder). Reserves the stock at the products' current prices, snapshots the shipping address, prices shipping, applies and uses the discount code, and empties the cart. Repeating it with the same idempotency key answers the first order. */
  checkout: CheckoutResult;
  /** Removes every line and the discount code from a cart. */
  clearCart: CartResult;
  /** Adds an address to the signed-in user's address book (at most 20), validated for its country. The first address becomes the default shipping address. Requires authentication. */
  createAddress: CreateAddressResult;
  /** Adds a category. Administrators only. */
  createCategory: CategoryResult;
  /** Administrators only: creates a discount code. */
  createDiscountCode: CreateDiscountCodeResult;
  /** Adds a product to the catalogue. Administrators only. */
  createProduct: CreateProductResult;
  /** Deletes one of the signed-in user's addresses. When it was the default, the newest remaining address becomes the default. Orders keep their own copy. Requires authentication. */
  deleteAddress: DeleteAddressResult;
  /** Deletes a category without sub-categories or products. Administrators only. */
  deleteCategory: DeleteCategoryResult;
  /** Administrators only: hands a PAID order to a carrier. It becomes FULFILLED and the customer gets a shipped email with the tracking link. */
  fulfillOrder: FulfillOrderResult;
  /** Signs in with email and password (a new session). After repeated failures for one email from one client address (or from one address overall) each further attempt from there must wait, progressively longer. */
  login: LoginResult;
  /** Ends the session the refresh token belongs to: its refresh tokens stop working. Access tokens already issued stay valid until they expire (at most JWT_TTL_SECONDS). Always answers LogoutSuccess, whatever the token. */
  logout: LogoutSuccess;
  /** Ends every session of the signed-in user (every device); access tokens already issued stay valid until they expire. Requires authentication. */
  logoutEverywhere: LogoutEverywhereSuccess;
  /** Administrators only: records that a FULFILLED order reached the customer; it becomes DELIVERED. */
  markOrderDelivered: MarkOrderDeliveredResult;
  /** Signed-in customers: moves an anonymous cart's lines and discount code into the customer's cart (created if missing; quantities of the same product added up, at most MAX_LINE_QUANTITY; new products appended while the cart has fewer than MAX_CART_LINES, the rest dropped; the code only when the customer's cart has none) and deletes the anonymous cart. Call it right after login with the cart the shopper filled before; a repeated call is CartNotFoundError and changes nothing. */
  mergeCart: CartResult;
  /** Pays one of the viewer's orders with a payment method token from the provider. Requires authentication. */
  payOrder: PayOrderResult;
  /** Places an order for the signed-in user from a list of items, without cart, address or shipping (for API clients that do not use carts; storefronts use checkout): reserves the items' stock in products and stores the order with price snapshots, waiting for payment until it expires. */
  placeOrder: PlaceOrderResult;
  /** Spends a refresh token for a new access token and the session's next refresh token (rotation). Needs no access token (an expired one is fine). Presenting a refresh token that was already spent ends its whole session (reuse detection): of several concurrent refreshes with one token exactly one succeeds and the session is then ended, so a client refreshes once at a time. */
  refreshSession: RefreshSessionResult;
  /** Administrators only: refunds a PAID, FULFILLED or DELIVERED order in full. It becomes REFUNDED at once and payments gives its charge back; the customer is emailed when the refund is confirmed. Its stock is not given back (the goods may have shipped; adjust stock by hand). Calling it again for a REFUNDED order answers the order and refunds nothing more. */
  refundOrder: RefundOrderResult;
  /** Opens a customer account and signs it in (a new session). */
  register: RegisterResult;
  /** Removes a product's line from a cart; a product that is not in it is no error (the cart is answered unchanged). */
  removeCartLine: CartResult;
  /** Takes the discount code off a cart. */
  removeDiscountCode: CartResult;
  /** Takes a variant off sale (refused for a product's last variant or while orders hold its units). Administrators only. */
  removeVariant: VariantResult;
  /** Asks for a password-reset email: if an account uses the address, a single-use link (PASSWORD_RESET_URL with ?token=, valid PASSWORD_RESET_TTL_SECONDS, 30 minutes by default) is emailed to it. Always the same answer for a well-formed address, whether an account uses it or not; limited per email address and per client address (TooManyAttemptsError). */
  requestPasswordReset: RequestPasswordResetResult;
  /** Sets a new password with the token of a reset email: the token is spent (single use), every session of the account ends and every other reset link stops working. Signs nobody in. */
  resetPassword: ResetPasswordResult;
  /** Makes one of the signed-in user's addresses the default shipping address (the previous default stops being one). Requires authentication. */
  setDefaultShippingAddress: SetDefaultShippingAddressResult;
  /** Replaces every field of one of the signed-in user's addresses (omitted optional fields are cleared); it stays default or not. Requires authentication. */
  updateAddress: UpdateAddressResult;
  /** Sets the quantity of a product's line in a cart at the product's current price; 0 removes the line, and a product not in the cart yet is added. */
  updateCartLine: CartResult;
  /** Changes a category (moving it keeps its sub-tree). Administrators only. */
  updateCategory: CategoryResult;
  /** Changes a product's details. Administrators only. */
  updateProduct: UpdateProductResult;
  /** Changes the signed-in user's name or phone. Requires authentication. */
  updateProfile: UpdateProfileResult;
  /** Changes a variant's SKU, price or images. Administrators only. */
  updateVariant: VariantResult;
};


export type MutationAddToCartArgs = {
  input: AddToCartInput;
};


export type MutationAddVariantArgs = {
  input: VariantInput;
  productId: Scalars['ID']['input'];
};


export type MutationAdjustStockArgs = {
  delta: Scalars['Int']['input'];
  id: Scalars['ID']['input'];
};


export type MutationApplyDiscountCodeArgs = {
  input: ApplyDiscountCodeInput;
};


export type MutationCancelOrderArgs = {
  id: Scalars['ID']['input'];
};


export type MutationChangePasswordArgs = {
  currentPassword: Scalars['String']['input'];
  newPassword: Scalars['String']['input'];
};


export type MutationCheckoutArgs = {
  input: CheckoutInput;
};


export type MutationClearCartArgs = {
  cartId: Scalars['ID']['input'];
};


export type MutationCreateAddressArgs = {
  input: AddressInput;
  makeDefault?: InputMaybe<Scalars['Boolean']['input']>;
};


export type MutationCreateCategoryArgs = {
  input: CreateCategoryInput;
};


export type MutationCreateDiscountCodeArgs = {
  input: CreateDiscountCodeInput;
};


export type MutationCreateProductArgs = {
  input: CreateProductInput;
};


export type MutationDeleteAddressArgs = {
  id: Scalars['ID']['input'];
};


export type MutationDeleteCategoryArgs = {
  id: Scalars['ID']['input'];
};


export type MutationFulfillOrderArgs = {
  input: FulfillOrderInput;
};


export type MutationLoginArgs = {
  input: LoginInput;
};


export type MutationLogoutArgs = {
  refreshToken: Scalars['String']['input'];
};


export type MutationMarkOrderDeliveredArgs = {
  id: Scalars['ID']['input'];
};


export type MutationMergeCartArgs = {
  cartId: Scalars['ID']['input'];
};


export type MutationPayOrderArgs = {
  input: PayOrderInput;
};


export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};


export type MutationRefreshSessionArgs = {
  refreshToken: Scalars['String']['input'];
};


export type MutationRefundOrderArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRegisterArgs = {
  input: RegisterInput;
};


export type MutationRemoveCartLineArgs = {
  input: RemoveCartLineInput;
};


export type MutationRemoveDiscountCodeArgs = {
  cartId: Scalars['ID']['input'];
};


export type MutationRemoveVariantArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRequestPasswordResetArgs = {
  email: Scalars['String']['input'];
};


export type MutationResetPasswordArgs = {
  newPassword: Scalars['String']['input'];
  token: Scalars['String']['input'];
};


export type MutationSetDefaultShippingAddressArgs = {
  id: Scalars['ID']['input'];
};


export type MutationUpdateAddressArgs = {
  id: Scalars['ID']['input'];
  input: AddressInput;
};


export type MutationUpdateCartLineArgs = {
  input: UpdateCartLineInput;
};


export type MutationUpdateCategoryArgs = {
  id: Scalars['ID']['input'];
  input: UpdateCategoryInput;
};


export type MutationUpdateProductArgs = {
  id: Scalars['ID']['input'];
  input: UpdateProductInput;
};


export type MutationUpdateProfileArgs = {
  input: UpdateProfileInput;
};


export type MutationUpdateVariantArgs = {
  id: Scalars['ID']['input'];
  input: UpdateVariantInput;
};

/** A message sent to a customer on one channel, e.g. the email confirming a paid order, telling of its refund, that it has shipped or that it has been delivered. */
export type Notification = {
  __typename?: 'Notification';
  /** How many times sending was attempted. */
  attempts: Scalars['Int']['output'];
  /** The channel it is sent on. */
  channel: NotificationChannel;
  /** When the notification was first recorded. */
  createdAt: Scalars['DateTime']['output'];
  /** Unique id of the notification. */
  id: Scalars['ID']['output'];
  /** What the notification is about. */
  kind: NotificationKind;
  /** The order the notification is about. */
  order: Order;
  /** The address it is sent to, masked (j***@example.com, +49******789). */
  recipient: Scalars['String']['output'];
  /** When it was sent; null until then. */
  sentAt?: Maybe<Scalars['DateTime']['output']>;
  /** Delivery status. */
  status: NotificationStatus;
  /** The email subject, or a one-line summary for an SMS. */
  subject: Scalars['String']['output'];
};

/** How a notification reaches the customer. */
export type NotificationChannel =
  /** An email with HTML and plain-text parts. */
  | 'EMAIL'
  /** A text message to the customer's phone. */
  | 'SMS';

/** A page of notifications, newest first. */
export type NotificationConnection = {
  __typename?: 'NotificationConnection';
  /** The notifications of this page. */
  edges: Array<NotificationEdge>;
  /** Paging information. */
  pageInfo: PageInfo;
};

/** One notification in a page of a NotificationConnection. */
export type NotificationEdge = {
  __typename?: 'NotificationEdge';
  /** Opaque cursor of this edge, for `after`. */
  cursor: Scalars['String']['output'];
  /** The notification. */
  node: Notification;
};

/** Why a notification was sent. */
export type NotificationKind =
  /** The confirmation sent once an order has been paid. */
  | 'ORDER_CONFIRMATION'
  /** The notice sent once the order has reached the customer. At most one per order. */
  | 'ORDER_DELIVERED'
  /** The notice sent once an administrator has handed the order to a carrier: carrier, tracking number and tracking link. At most one per order. */
  | 'ORDER_SHIPPED'
  /** The notice sent once an administrator's refund of a paid order has been paid back to the customer. */
  | 'REFUND';

/** Where a notification is in its delivery. */
export type NotificationStatus =
  /** Gave up after the last attempt; the event went to the dead-letter subject. */
  | 'FAILED'
  /** Not sent yet; delivery is being (re)tried. */
  | 'PENDING'
  /** Handed to the mail server or SMS provider. */
  | 'SENT';

/** An order placed by a customer. */
export type Order = {
  __typename?: 'Order';
  /** When the order was cancelled; null unless CANCELLED. */
  cancelledAt?: Maybe<Scalars['DateTime']['output']>;
  /** When the order was placed. */
  createdAt: Scalars['DateTime']['output'];
  /** When the order reached the customer; null before. */
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  /** What the discount code took off (0 without a code). */
  discount: Money;
  /** The discount code used, as it was entered at checkout (upper case); null without one. */
  discountCode?: Maybe<Scalars['String']['output']>;
  /** When an unpaid order is cancelled automatically. */
  expiresAt: Scalars['DateTime']['output'];
  /** When the order was handed to a carrier; null before. */
  fulfilledAt?: Maybe<Scalars['DateTime']['output']>;
  /** The carrier and tracking number once FULFILLED; null before. */
  fulfilment?: Maybe<Fulfilment>;
  /** The order's id (a UUID). */
  id: Scalars['ID']['output'];
  /** The ordered lines, with prices as they were when the order was placed. */
  items: Array<OrderItem>;
  /** Notifications sent about this order, oldest first. Only the order's owner or an admin may read them. */
  notifications: Array<Notification>;
  /** Human-friendly order number, e.g. SO-000042, quoted in emails and to support. */
  number: Scalars['String']['output'];
  /** When the payment succeeded; null until then (so set for PAID, FULFILLED, DELIVERED and REFUNDED orders). */
  paidAt?: Maybe<Scalars['DateTime']['output']>;
  /** The order's successful payment, else its latest failed attempt, else null. Visible to the order's owner and to admins only. */
  payment?: Maybe<Payment>;
  /** When the refund of a REFUNDED order was confirmed by payments; null until then and for every other status. */
  refundedAt?: Maybe<Scalars['DateTime']['output']>;
  /** What shipping costs (0 when free above the method's threshold, and for orders placed without shipping). */
  shipping: Money;
  /** Where the order ships: a snapshot taken at checkout, unchanged by later edits of the address book. Null for orders placed with placeOrder. */
  shippingAddress?: Maybe<ShippingAddress>;
  /** How the order ships, as chosen at checkout; null for orders placed with placeOrder. */
  shippingMethod?: Maybe<OrderShippingMethod>;
  /** Where the order is in its life. */
  status: OrderStatus;
  /** Every status the order has been in, oldest first, with when it got there. */
  statusHistory: Array<OrderStatusChange>;
  /** Sum of the lines' totals. */
  subtotal: Money;
  /** What the customer pays: subtotal + shipping - discount. Prices include VAT. */
  total: Money;
  /** The customer who placed the order. */
  user: User;
  /** The VAT included in total, at vatRateBasisPoints. */
  vat: Money;
  /** The VAT rate of the destination country in basis points (1900 = 19 %); 0 for orders placed without an address. */
  vatRateBasisPoints: Scalars['Int']['output'];
};

/** A page of orders. */
export type OrderConnection = {
  __typename?: 'OrderConnection';
  /** The orders of this page, newest first. */
  edges: Array<OrderEdge>;
  /** Where this page sits in the list. */
  pageInfo: PageInfo;
};

/** An order and its cursor. */
export type OrderEdge = {
  __typename?: 'OrderEdge';
  /** Opaque cursor of this order, for after. */
  cursor: Scalars['String']['output'];
  /** The order. */
  node: Order;
};

/** Something that happened to one of the viewer's orders, as myOrderEvents delivers it. */
export type OrderEvent = {
  __typename?: 'OrderEvent';
  /** When it happened (the event's own time, not the time of delivery). */
  at: Scalars['DateTime']['output'];
  /** What happened. */
  kind: OrderEventKind;
  /** The notification the event is about (NOTIFICATION_SENT, NOTIFICATION_FAILED); null for every other kind. */
  notification?: Maybe<Notification>;
  /** The order as it is when the event is delivered, which may already be past the event (a PAYMENT_SUCCEEDED may show the order PAID). */
  order: Order;
  /** The payment the event is about (PAYMENT_SUCCEEDED, PAYMENT_FAILED, PAYMENT_REFUNDED) while it is the order's payment (Order.payment: the successful one, else the latest failed attempt); null for every other kind, and for an attempt another one has replaced since. */
  payment?: Maybe<Payment>;
};

/** What happened to an order. */
export type OrderEventKind =
  /** The order was cancelled: by the customer, or because it expired unpaid. */
  | 'CANCELLED'
  /** The order reached the customer (DELIVERED). */
  | 'DELIVERED'
  /** The order was handed to a carrier (FULFILLED). */
  | 'FULFILLED'
  /** A notification about the order failed for good after its last attempt. */
  | 'NOTIFICATION_FAILED'
  /** A notification about the order was sent. */
  | 'NOTIFICATION_SENT'
  /** The order is paid (PAID). */
  | 'PAID'
  /** A charge of the order was declined; the order still waits for payment. */
  | 'PAYMENT_FAILED'
  /** A charge of the order was given back by the payment provider (an admin refund, a duplicate charge, a charge of a cancelled order). */
  | 'PAYMENT_REFUNDED'
  /** A charge of the order succeeded (the order becomes PAID right after). */
  | 'PAYMENT_SUCCEEDED'
  /** The order was placed and waits for payment (PENDING_PAYMENT). */
  | 'PLACED'
  /** An administrator's refund of the order was paid back (REFUNDED). */
  | 'REFUNDED';

/** Which orders Query.orders lists; every given condition must hold. */
export type OrderFilter = {
  /** Only orders placed at or after this instant. */
  placedFrom?: InputMaybe<Scalars['DateTime']['input']>;
  /** Only orders placed before this instant. */
  placedTo?: InputMaybe<Scalars['DateTime']['input']>;
  /** Only orders in this status. */
  status?: InputMaybe<OrderStatus>;
  /** Only orders of this customer (a user id as issued). */
  userId?: InputMaybe<Scalars['ID']['input']>;
};

/** One line of an order. Prices are snapshots taken when the order was placed. */
export type OrderItem = {
  __typename?: 'OrderItem';
  /** unitPrice times quantity. */
  lineTotal: Money;
  /** The ordered product. */
  product: Product;
  /** The product's name when the order was placed. */
  productName: Scalars['String']['output'];
  /** How many units were ordered. */
  quantity: Scalars['Int']['output'];
  /** The variant's SKU when the order was placed. */
  sku: Scalars['String']['output'];
  /** Price of one unit when the order was placed. */
  unitPrice: Money;
  /** The ordered variant. */
  variant: ProductVariant;
  /** The variant's option values when the order was placed (e.g. M / Blue); empty for a product without options. */
  variantTitle: Scalars['String']['output'];
};

/** One line to order. */
export type OrderLineInput = {
  /** The product to order. */
  productId: Scalars['ID']['input'];
  /** How many units: 1 to 100 (MAX_LINE_QUANTITY). Lines of the same variant are added up. */
  quantity: Scalars['Int']['input'];
  /** Its variant (as issued); omitted: the product's only variant (refused for a product with several). */
  variantId?: InputMaybe<Scalars['ID']['input']>;
};

/** The order is no longer waiting for payment, so it cannot be cancelled. */
export type OrderNotCancellableError = Error & {
  __typename?: 'OrderNotCancellableError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The order's current status. */
  status: OrderStatus;
};

/** No order with this id belongs to the signed-in user. */
export type OrderNotFoundError = Error & {
  __typename?: 'OrderNotFoundError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The id that was asked for. */
  orderId: Scalars['ID']['output'];
};

/** The order cannot be paid in its current state (e.g. already paid or cancelled). */
export type OrderNotPayableError = Error & {
  __typename?: 'OrderNotPayableError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The order's current status, e.g. PAID or CANCELLED. */
  status: Scalars['String']['output'];
};

/** Only a PAID, FULFILLED or DELIVERED order can be refunded; this one is in another status. Nothing was changed. */
export type OrderNotRefundableError = Error & {
  __typename?: 'OrderNotRefundableError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The order's current status. */
  status: OrderStatus;
};

/** A payment of the order is in progress (payments is charging the card), so it cannot be cancelled now. Unless it is paid by then, it can be cancelled from retryAfter on. */
export type OrderPaymentInProgressError = Error & {
  __typename?: 'OrderPaymentInProgressError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** When the payment in progress has ended at the latest. */
  retryAfter: Scalars['DateTime']['output'];
};

/** The orders service did not answer. Nothing was charged or recorded; retry with the same key. */
export type OrderServiceUnavailableError = Error & {
  __typename?: 'OrderServiceUnavailableError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The shipping method of an order, as it was when the order was placed. */
export type OrderShippingMethod = {
  __typename?: 'OrderShippingMethod';
  /** The method's id. */
  id: Scalars['ID']['output'];
  /** The method's name, e.g. Standard. */
  name: Scalars['String']['output'];
};

/** Where an order is in its life: waiting for payment, paid, shipped, delivered, cancelled (by the customer or on expiry), or refunded by an admin. */
export type OrderStatus =
  /** Cancelled by the customer or expired unpaid; its stock went back. */
  | 'CANCELLED'
  /** Reached the customer (markOrderDelivered). */
  | 'DELIVERED'
  /** Handed to a carrier (fulfillOrder); fulfilment says which and the tracking number. */
  | 'FULFILLED'
  /** Paid; the order is confirmed. */
  | 'PAID'
  /** Placed, stock reserved, waiting for payment until expiresAt. */
  | 'PENDING_PAYMENT'
  /** Was paid (and maybe shipped), then refunded in full by an admin; refundedAt is set once payments confirmed the refund. Its stock was not given back. */
  | 'REFUNDED';

/** A status an order got, and when. */
export type OrderStatusChange = {
  __typename?: 'OrderStatusChange';
  /** When the order got it. */
  at: Scalars['DateTime']['output'];
  /** The status. */
  status: OrderStatus;
};

/** The order is not in a status this step can start from; nothing was changed. */
export type OrderStatusError = Error & {
  __typename?: 'OrderStatusError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The order's current status. */
  status: OrderStatus;
};

/** The order's total would be above the largest total the shop accepts; nothing was ordered and no stock is held. */
export type OrderTotalLimitError = Error & {
  __typename?: 'OrderTotalLimitError';
  /** The largest total an order may have, in the order's currency. */
  maxTotal: Money;
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Relay page information. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Cursor of the last edge. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** True when more items follow the last edge. */
  hasNextPage: Scalars['Boolean']['output'];
  /** True when items precede the first edge. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** Cursor of the first edge. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** What payOrder needs. The amount is not an input: it comes from the order. */
export type PayOrderInput = {
  /** A client-chosen key (1-128 characters). Retrying with the same key and input returns the first result and never charges twice. */
  idempotencyKey: Scalars['String']['input'];
  /** The order to pay. */
  orderId: Scalars['ID']['input'];
  /** The payment method token the provider issued when the customer's browser posted the card to it (a PSP's hosted fields): card numbers never reach the graph. Single use. */
  paymentMethodToken: Scalars['String']['input'];
};

/** The result of payOrder: the payment, or why there is none. */
export type PayOrderResult = CardDeclinedError | InvalidInputError | OrderNotPayableError | OrderServiceUnavailableError | PaymentIdempotencyKeyReusedError | PaymentMethodInvalidError | PaymentOrderNotFoundError | PaymentProviderUnavailableError | PaymentRequiresAction | PaymentSucceeded;

/** One charge attempt against a card for an order. Declined attempts are recorded too (status FAILED), and a charge waiting for the customer's authentication (status REQUIRES_ACTION). */
export type Payment = {
  __typename?: 'Payment';
  /** The amount charged, as quoted by the orders subgraph (never taken from the client). */
  amount: Money;
  /** The card that was charged: brand, last four digits and expiry only. */
  card: PaymentCard;
  /** When the charge was made. */
  createdAt: Scalars['DateTime']['output'];
  /** Why the charge was declined; null when it succeeded. */
  failureReason?: Maybe<PaymentFailureReason>;
  /** The payment's id (also the id of the event published for it). */
  id: Scalars['ID']['output'];
  /** The order this payment is for. */
  order: Order;
  /** How much of the amount has been given back so far (the sum of refunds); zero when none. */
  refundedAmount: Money;
  /** The refunds of this payment, oldest first: at most one per reason, and never more in total than the amount charged. */
  refunds: Array<Refund>;
  /** Whether the charge went through, and whether it was given back since (in part or in full). */
  status: PaymentStatus;
};

/** What the customer must do before the charge can complete: today always a redirect to the issuer's authentication page. */
export type PaymentAction = {
  __typename?: 'PaymentAction';
  /** When the provider gives up waiting; the payment then fails with AUTHENTICATION_FAILED and the order can be paid again. */
  expiresAt: Scalars['DateTime']['output'];
  /** How to complete it: REDIRECT_TO_URL (open url in the browser). */
  type: PaymentActionType;
  /** The page where the customer authenticates (the provider's 3-D Secure challenge). */
  url: Scalars['String']['output'];
};

/** Kinds of PaymentAction. */
export type PaymentActionType =
  /** Open the url (a redirect or a pop-up); the provider reports the outcome to the shop itself. */
  | 'REDIRECT_TO_URL';

/** The non-sensitive part of a card. The number and the CVC are never stored. */
export type PaymentCard = {
  __typename?: 'PaymentCard';
  /** Card network derived from the number: VISA, MASTERCARD, AMEX, DISCOVER or UNKNOWN. */
  brand: Scalars['String']['output'];
  /** Expiry month, 1-12. */
  expMonth: Scalars['Int']['output'];
  /** Expiry year, four digits. */
  expYear: Scalars['Int']['output'];
  /** The last four digits of the number. */
  last4: Scalars['String']['output'];
};

/** Why the payment provider declined a card. */
export type PaymentFailureReason =
  /** The customer failed, abandoned or did not finish the authentication the issuer asked for. */
  | 'AUTHENTICATION_FAILED'
  /** The issuer declined without giving a reason. */
  | 'CARD_DECLINED'
  /** The issuer reports the card as expired. */
  | 'EXPIRED_CARD'
  /** The issuer rejected the security code. */
  | 'INCORRECT_CVC'
  /** The account does not have enough funds. */
  | 'INSUFFICIENT_FUNDS';

/** The idempotency key was already used with a different order or payment method. */
export type PaymentIdempotencyKeyReusedError = Error & {
  __typename?: 'PaymentIdempotencyKeyReusedError';
  /** The reused key. */
  idempotencyKey: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The payment method token is unknown to the provider, expired or already used. Nothing was charged or recorded; tokenise the card again. */
export type PaymentMethodInvalidError = Error & {
  __typename?: 'PaymentMethodInvalidError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** No order with this id belongs to the viewer. */
export type PaymentOrderNotFoundError = Error & {
  __typename?: 'PaymentOrderNotFoundError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The order id that was asked for. */
  orderId: Scalars['ID']['output'];
};

/** The payment provider could not be reached. Nothing was charged or recorded; retry with the same key. */
export type PaymentProviderUnavailableError = Error & {
  __typename?: 'PaymentProviderUnavailableError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** The issuer asked for strong customer authentication. The payment is REQUIRES_ACTION until the provider reports the outcome (by webhook): the order is PAID only then. Watch the order (orderStatusChanged) or read it again. */
export type PaymentRequiresAction = {
  __typename?: 'PaymentRequiresAction';
  /** What the client must do to complete it. */
  action: PaymentAction;
  /** The payment, status REQUIRES_ACTION. */
  payment: Payment;
};

/** The outcome of a charge attempt. */
export type PaymentStatus =
  /** The card was declined, or its authentication failed or was abandoned; nothing was charged. */
  | 'FAILED'
  /** Part of the charge was given back; refundedAmount says how much. */
  | 'PARTIALLY_REFUNDED'
  /** The charge was given back in full. */
  | 'REFUNDED'
  /** The card's issuer asked the customer to authenticate (3-D Secure); the outcome arrives from the provider. */
  | 'REQUIRES_ACTION'
  /** The card was charged (and nothing of it refunded). */
  | 'SUCCEEDED';

/** The card was charged and the payment recorded. */
export type PaymentSucceeded = {
  __typename?: 'PaymentSucceeded';
  /** The successful payment. */
  payment: Payment;
};

/** What to order. */
export type PlaceOrderInput = {
  /** A key chosen by the client (1-128 characters of letters, digits, - _ . :). Repeating it with the same items returns the first order; with other items it is IdempotencyKeyReusedError. */
  idempotencyKey: Scalars['String']['input'];
  /** The lines: at least one, at most 50 distinct products. */
  items: Array<OrderLineInput>;
};

/** The result of placeOrder: the order, or why it was not placed. */
export type PlaceOrderResult = EmptyCartError | IdempotencyKeyReusedError | InsufficientStockError | InvalidInputError | Order | OrderTotalLimitError | ProductsUnavailableError | TooManyUnpaidOrdersError | UnknownProductError;

/** The price exceeds the configured maximum unit price (MAX_PRICE_AMOUNT); nothing was changed. */
export type PriceLimitError = Error & {
  __typename?: 'PriceLimitError';
  /** The highest unit price, in minor units. */
  max: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** A product of the catalogue: what a shopper browses. What is bought is one of its variants. */
export type Product = {
  __typename?: 'Product';
  /** Availability over all variants. */
  availability: Availability;
  /** The categories the product belongs to (at least one), the primary first. */
  categories: Array<Category>;
  /**
   * Slug of the product's first category, e.g. electronics.
   * @deprecated Use categories.
   */
  category: Scalars['String']['output'];
  /** When the product was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Long description (plain text, at most 10,000 characters). */
  description: Scalars['String']['output'];
  /** Opaque identifier of the product. */
  id: Scalars['ID']['output'];
  /** The product's images in display order (the first is the main image). */
  images: Array<Image>;
  /** True when at least one unit of some variant can be ordered. */
  inStock: Scalars['Boolean']['output'];
  /** Display name. */
  name: Scalars['String']['output'];
  /** The options a shopper chooses between, e.g. Size and Colour; empty for a product without options. */
  options: Array<ProductOption>;
  /** The lowest unit price of its variants (the price of a product without options). */
  price: Money;
  /** Stock-keeping unit of the default (first) variant, e.g. ELEC-HEAD-001. */
  sku: Scalars['String']['output'];
  /** Unique, stable URL name (lower-case letters, digits and '-'), e.g. noise-cancelling-headphones. */
  slug: Scalars['String']['output'];
  /** Units of all variants that can be ordered now. Administrators only (null for everyone else). */
  stock?: Maybe<Scalars['Int']['output']>;
  /** When the product was last changed (including its stock). */
  updatedAt: Scalars['DateTime']['output'];
  /** What can be bought: one default variant for a product without options, else one per combination offered. */
  variants: Array<ProductVariant>;
};

/** A page of products (Relay connection). */
export type ProductConnection = {
  __typename?: 'ProductConnection';
  /** The products of this page. */
  edges: Array<ProductEdge>;
  /** Where this page is in the whole list. */
  pageInfo: PageInfo;
  /** How many products match the filter over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One product in a page of products. */
export type ProductEdge = {
  __typename?: 'ProductEdge';
  /** Opaque cursor of this edge; pass it as `after` to continue after it. */
  cursor: Scalars['String']['output'];
  /** The product. */
  node: Product;
};

/** Narrows the product list; all given conditions must hold. */
export type ProductFilter = {
  /** Only products of the category with this slug (or of its sub-categories). */
  category?: InputMaybe<Scalars['String']['input']>;
  /** Only products of the category with this id (or of its sub-categories). */
  categoryId?: InputMaybe<Scalars['ID']['input']>;
  /** True: only products with stock; false: only sold-out products. */
  inStock?: InputMaybe<Scalars['Boolean']['input']>;
  /** Highest price in minor units (inclusive). */
  maxPrice?: InputMaybe<Scalars['Int']['input']>;
  /** Lowest price in minor units (inclusive). */
  minPrice?: InputMaybe<Scalars['Int']['input']>;
  /**
   * Words searched in name, description and SKU (at most 200 characters), in any order, ignoring letter
   * case, accents and simple plurals ("Soaps" finds "soap"); every word must match. Ranked: a match in
   * the name above one in the description (sort RELEVANCE, the default with a search).
   */
  search?: InputMaybe<Scalars['String']['input']>;
};

/** No product has this id. */
export type ProductNotFoundError = Error & {
  __typename?: 'ProductNotFoundError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The id that was looked up. */
  productId: Scalars['ID']['output'];
};

/** An option of a product and the values offered, e.g. Size: S, M, L. */
export type ProductOption = {
  __typename?: 'ProductOption';
  /** The option's name, e.g. Size. */
  name: Scalars['String']['output'];
  /** The values in display order, e.g. [S, M, L]. */
  values: Array<Scalars['String']['output']>;
};

/** An option and its values, e.g. Size: S, M, L. */
export type ProductOptionInput = {
  /** 1-50 characters, unique within the product. */
  name: Scalars['String']['input'];
  /** 1 to 50 distinct values of 1-50 characters each. */
  values: Array<Scalars['String']['input']>;
};

/** Order of the product list. */
export type ProductSort =
  /** Alphabetically by name. */
  | 'NAME_ASC'
  /** Most recently created first (the default without a search). */
  | 'NEWEST'
  /** Cheapest first. */
  | 'PRICE_ASC'
  /** Most expensive first. */
  | 'PRICE_DESC'
  /** Best match first (the default with a search; without one it is NEWEST). */
  | 'RELEVANCE';

/** One buyable version of a product, with its own SKU, price and stock. */
export type ProductVariant = {
  __typename?: 'ProductVariant';
  /** How many units can be ordered, without the exact count. */
  availability: Availability;
  /** Opaque identifier of the variant (as issued; it names its product). */
  id: Scalars['ID']['output'];
  /** Images of this variant (e.g. its colour); the product's images when it has none of its own. */
  images: Array<Image>;
  /** True when at least one unit can be ordered. */
  inStock: Scalars['Boolean']['output'];
  /** Unit price. */
  price: Money;
  /** The product it belongs to. */
  product: Product;
  /** The variant's value of each of the product's options, in the product's option order. */
  selectedOptions: Array<SelectedOption>;
  /** Stock-keeping unit, unique across the catalogue. */
  sku: Scalars['String']['output'];
  /** Units that can be ordered now. Administrators only (null for everyone else). */
  stock?: Maybe<Scalars['Int']['output']>;
  /** The option values joined for display, e.g. M / Blue; empty for the default variant of a product without options. */
  title: Scalars['String']['output'];
};

/** The products service did not answer in time; nothing was ordered. Retrying with the same idempotency key is safe. */
export type ProductsUnavailableError = Error & {
  __typename?: 'ProductsUnavailableError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** A cart. With an id: that cart when it is anonymous (whoever holds its id may use it) or belongs to the signed-in customer. Without an id: the signed-in customer's cart. Null when there is no such cart, it expired, or it is someone else's (indistinguishable). */
  cart?: Maybe<Cart>;
  /** The top-level categories in menu order (each with its children). */
  categories: Array<Category>;
  /** One category by slug; null when there is none. */
  category?: Maybe<Category>;
  /** The countries the shop ships to, with their address rules; public. */
  countries: Array<Country>;
  /** Administrators only: the customer accounts (role CUSTOMER), newest first, optionally searched by email or name. */
  customers: UserConnection;
  /** Administrators only: the discount codes, newest first. */
  discountCodes: DiscountCodeConnection;
  /** The signed-in user, or null for an anonymous request. */
  me?: Maybe<User>;
  /** One order by id: the owner's own order, or any order for an admin. Null when it does not exist or belongs to someone else (the two are indistinguishable). */
  order?: Maybe<Order>;
  /** Administrators only: every customer's orders, newest first, filtered by status, placing date and customer. */
  orders: OrderConnection;
  /** One product by id or by slug (exactly one of them); null when it does not exist. */
  product?: Maybe<Product>;
  /** One variant by id; null when it does not exist. */
  productVariant?: Maybe<ProductVariant>;
  /** Lists the catalogue as a Relay connection (default page 20, maximum 100). */
  products: ProductConnection;
  /** The shipping methods that deliver to a country, cheapest first. Empty for a country the shop does not ship to. */
  shippingMethods: Array<ShippingMethod>;
};


export type QueryCartArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryCategoryArgs = {
  slug: Scalars['String']['input'];
};


export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


export type QueryDiscountCodesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<OrderFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryProductArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
  slug?: InputMaybe<Scalars['String']['input']>;
};


export type QueryProductVariantArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ProductFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<ProductSort>;
};


export type QueryShippingMethodsArgs = {
  country: Scalars['String']['input'];
};

/** The result of refreshSession: a new access token with the session's next refresh token, or why the refresh token was refused. */
export type RefreshSessionResult = AuthPayload | InvalidRefreshTokenError;

/** Money given back to the card of a successful payment, confirmed by the payment provider. */
export type Refund = {
  __typename?: 'Refund';
  /** The amount given back, in the payment's currency. */
  amount: Money;
  /** When the refund was recorded. */
  createdAt: Scalars['DateTime']['output'];
  /** The refund's id (also the id of the payments.refunded event published for it). */
  id: Scalars['ID']['output'];
  /** Why the money was given back. */
  reason: RefundReason;
};

/** The result of refundOrder: the refunded order, or why it was not refunded. */
export type RefundOrderResult = Order | OrderNotFoundError | OrderNotRefundableError;

/** Why a payment was refunded. */
export type RefundReason =
  /** An administrator refunded the paid order. */
  | 'ADMIN_REFUND'
  /** The charge landed on an order that was already cancelled. */
  | 'CANCELLED_ORDER'
  /** A second successful charge of an order already paid, or a charge that completed after payOrder had given up on it. */
  | 'DUPLICATE_CHARGE'
  /** The charge names no order that exists. */
  | 'UNKNOWN_ORDER'
  /** The charge's amount did not match the order's total. */
  | 'WRONG_AMOUNT';

/** Everything needed to open an account. */
export type RegisterInput = {
  /** Email address to sign in with, as a plain name@domain (no display name, comment, quotes or list; ASCII before the @); unique regardless of letter case. Stored lower-case with the domain in ASCII (punycode). */
  email: Scalars['String']['input'];
  /** Display name, 1 to 100 characters, no control characters. */
  name: Scalars['String']['input'];
  /** Password, 10 to 128 characters. */
  password: Scalars['String']['input'];
  /** Optional phone number for SMS notifications, e.g. +49 151 1234 5678 (stored in E.164 form). */
  phone?: InputMaybe<Scalars['String']['input']>;
};

/** The result of register: the new account with a token, or why it was refused. */
export type RegisterResult = AuthPayload | EmailTakenError | InvalidInputError;

/** The line to remove. */
export type RemoveCartLineInput = {
  /** The cart. */
  cartId: Scalars['ID']['input'];
  /** The product of the line. */
  productId: Scalars['ID']['input'];
  /** The variant of the line; omitted: every line of the product. */
  variantId?: InputMaybe<Scalars['ID']['input']>;
};

/** The result of requestPasswordReset. */
export type RequestPasswordResetResult = InvalidInputError | RequestPasswordResetSuccess | TooManyAttemptsError;

/** The request was taken; the same answer whether an account uses the address or not. */
export type RequestPasswordResetSuccess = {
  __typename?: 'RequestPasswordResetSuccess';
  /** Always the same text: if an account uses the address, a link is on its way. */
  message: Scalars['String']['output'];
};

/** The result of resetPassword. */
export type ResetPasswordResult = InvalidInputError | InvalidResetTokenError | ResetPasswordSuccess;

/** The new password was set, every session of the account ended and the token spent; sign in with the new password. */
export type ResetPasswordSuccess = {
  __typename?: 'ResetPasswordSuccess';
  /** The email address of the account, e.g. to prefill the sign-in form. */
  email: Scalars['String']['output'];
};

/** What a user account may do. */
export type Role =
  /** An administrator: manages the catalogue and sees every account. */
  | 'ADMIN'
  /** A shopper: sees and changes only their own data. */
  | 'CUSTOMER';

/** The value a variant has for one option, e.g. Size = M. */
export type SelectedOption = {
  __typename?: 'SelectedOption';
  /** The option's name. */
  name: Scalars['String']['output'];
  /** The variant's value of it. */
  value: Scalars['String']['output'];
};

/** A variant's value of one option. */
export type SelectedOptionInput = {
  /** The option's name. */
  name: Scalars['String']['input'];
  /** One of the option's values. */
  value: Scalars['String']['input'];
};

/** The result of setDefaultShippingAddress: the new default address, or why it was refused. */
export type SetDefaultShippingAddressResult = Address | AddressNotFoundError;

/** A postal address as the order keeps it (a snapshot). */
export type ShippingAddress = {
  __typename?: 'ShippingAddress';
  /** City. */
  city: Scalars['String']['output'];
  /** Company, if any. */
  company?: Maybe<Scalars['String']['output']>;
  /** ISO 3166-1 alpha-2 code, e.g. DE. */
  country: Scalars['String']['output'];
  /** Street and number. */
  line1: Scalars['String']['output'];
  /** Second address line, if any. */
  line2?: Maybe<Scalars['String']['output']>;
  /** The recipient. */
  name: Scalars['String']['output'];
  /** Phone for the carrier (E.164), if any. */
  phone?: Maybe<Scalars['String']['output']>;
  /** Postal code in the country's form, e.g. 10115 or SW1A 1AA. */
  postalCode: Scalars['String']['output'];
  /** State or region code where the country needs one (US), else null. */
  region?: Maybe<Scalars['String']['output']>;
};

/** A way to ship, with its price. */
export type ShippingMethod = {
  __typename?: 'ShippingMethod';
  /** The countries it delivers to (ISO 3166-1 alpha-2). */
  countries: Array<Scalars['String']['output']>;
  /** Usual days until delivery, e.g. 2. */
  estimatedDays: Scalars['Int']['output'];
  /** Orders whose subtotal (after the discount) is at least this ship free; null when never free. */
  freeAbove?: Maybe<Money>;
  /** The method's id, e.g. standard-eu. */
  id: Scalars['ID']['output'];
  /** Its name, e.g. Standard. */
  name: Scalars['String']['output'];
  /** What it costs. */
  price: Money;
};

/** No shipping method with this id delivers to the address's country. */
export type ShippingMethodNotFoundError = Error & {
  __typename?: 'ShippingMethodNotFoundError';
  /** The destination country. */
  country: Scalars['String']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The id that was asked for. */
  shippingMethodId: Scalars['ID']['output'];
};

/** The stock change would leave the stock below zero; nothing was changed. */
export type StockBelowZeroError = Error & {
  __typename?: 'StockBelowZeroError';
  /** The refused change. */
  delta: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** Stock on hand when the change was refused. */
  stock: Scalars['Int']['output'];
};

/**
 * The stock would exceed the configured maximum (MAX_STOCK): the units on hand of one product (its
 * stock plus what orders hold of it), or a single change beyond plus or minus the maximum. Nothing was
 * changed.
 */
export type StockLimitError = Error & {
  __typename?: 'StockLimitError';
  /** The most units of one product on hand. */
  max: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** Live updates of the signed-in user's orders, served by the router (a router-level extension: no subgraph owns it). Over WebSocket (graphql-ws, subprotocol graphql-transport-ws) or multipart HTTP (Accept: multipart/mixed;subscriptionSpec=1.0). Signed-in users only; every update is resolved through the supergraph with the subscriber's token, so it shows exactly what the query order(id:) would show them. */
export type Subscription = {
  __typename?: 'Subscription';
  /** Every event of the signed-in user's own orders from the moment of subscribing (nothing is sent on subscribing), each with the order as it is when the event is delivered. An administrator gets the events of their own orders too, not everyone's. */
  myOrderEvents: OrderEvent;
  /** One order, live: the order as it is now, then the order again after every event of it (placed, paid, payment succeeded or failed, cancelled, shipped, delivered, refunded, notification sent or failed). Only the order's owner or an admin: any other id ends the subscription at once with BAD_USER_INPUT (an order of someone else and one that does not exist are indistinguishable). */
  orderUpdated: Order;
};


/** Live updates of the signed-in user's orders, served by the router (a router-level extension: no subgraph owns it). Over WebSocket (graphql-ws, subprotocol graphql-transport-ws) or multipart HTTP (Accept: multipart/mixed;subscriptionSpec=1.0). Signed-in users only; every update is resolved through the supergraph with the subscriber's token, so it shows exactly what the query order(id:) would show them. */
export type SubscriptionOrderUpdatedArgs = {
  id: Scalars['ID']['input'];
};

/** Too many failed sign-ins (or password checks of changePassword) for this email address from this client address, or from this client address overall; or, for requestPasswordReset, too many requests for this email address or from this client address. Try again after retryAfterSeconds. Other addresses are not affected. */
export type TooManyAttemptsError = Error & {
  __typename?: 'TooManyAttemptsError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** Seconds to wait before the next attempt is accepted. */
  retryAfterSeconds: Scalars['Int']['output'];
};

/** The signed-in user already has the most orders waiting for payment that the shop allows; pay or cancel one first. Nothing was ordered. */
export type TooManyUnpaidOrdersError = Error & {
  __typename?: 'TooManyUnpaidOrdersError';
  /** How many unpaid orders a user may have at once. */
  max: Scalars['Int']['output'];
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
};

/** A product (or the variant of it asked for) does not exist, or no longer does. */
export type UnknownProductError = Error & {
  __typename?: 'UnknownProductError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The id that matched no product, or the product of the variant that matched none. */
  productId: Scalars['ID']['output'];
  /** The variant id that matched no variant of the product (another form, another product's, removed); null when the product itself is unknown. */
  variantId?: Maybe<Scalars['ID']['output']>;
};

/** The result of updateAddress: the changed address, or why the change was refused. */
export type UpdateAddressResult = Address | AddressNotFoundError | InvalidInputError;

/** A line's new quantity. */
export type UpdateCartLineInput = {
  /** The cart. */
  cartId: Scalars['ID']['input'];
  /** The product of the line. */
  productId: Scalars['ID']['input'];
  /** The new quantity: 0 (removes the line) to MAX_LINE_QUANTITY. */
  quantity: Scalars['Int']['input'];
  /** The variant of the line; omitted: the product's only line in the cart. */
  variantId?: InputMaybe<Scalars['ID']['input']>;
};

/** Changes to a category; omitted fields stay as they are. */
export type UpdateCategoryInput = {
  /** New description. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** New display name. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** New parent's id (not itself or one of its descendants). */
  parentId?: InputMaybe<Scalars['ID']['input']>;
  /** New position among its siblings. */
  position?: InputMaybe<Scalars['Int']['input']>;
  /** New slug (old links stop working). */
  slug?: InputMaybe<Scalars['String']['input']>;
  /** True: make it a top-level category. */
  topLevel?: InputMaybe<Scalars['Boolean']['input']>;
};

/** Changes to a product; omitted fields stay as they are. Stock changes go through adjustStock. */
export type UpdateProductInput = {
  /** New category by slug (replaces its categories). */
  category?: InputMaybe<Scalars['String']['input']>;
  /** New categories by id (replace its categories; 1 to 10). */
  categoryIds?: InputMaybe<Array<Scalars['ID']['input']>>;
  /** New description. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** New images (replace the product's). */
  images?: InputMaybe<Array<ImageInput>>;
  /** New display name. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** New unit price. */
  price?: InputMaybe<MoneyInput>;
  /** New SKU (must stay unique). */
  sku?: InputMaybe<Scalars['String']['input']>;
  /** New slug (old links stop working). */
  slug?: InputMaybe<Scalars['String']['input']>;
};

/** Result of updateProduct. */
export type UpdateProductResult = CategoryNotFoundError | DuplicateSkuError | DuplicateSlugError | InvalidInputError | PriceLimitError | Product | ProductNotFoundError;

/** Changes to the signed-in user's profile; omitted fields stay as they are. */
export type UpdateProfileInput = {
  /** New display name, 1 to 100 characters, no control characters. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** New phone number (stored in E.164 form); null removes it. */
  phone?: InputMaybe<Scalars['String']['input']>;
};

/** The result of updateProfile: the changed account, or why the change was refused. */
export type UpdateProfileResult = InvalidInputError | UpdateProfileSuccess;

/** The profile was changed. */
export type UpdateProfileSuccess = {
  __typename?: 'UpdateProfileSuccess';
  /** The account with its new profile. */
  user: User;
};

/** Changes to a variant; omitted fields stay as they are. Stock changes go through adjustStock. */
export type UpdateVariantInput = {
  /** New images (replace the variant's own). */
  images?: InputMaybe<Array<ImageInput>>;
  /** New unit price. */
  price?: InputMaybe<MoneyInput>;
  /** New SKU (must stay unique). */
  sku?: InputMaybe<Scalars['String']['input']>;
};

/** A person with an account in the shop. */
export type User = {
  __typename?: 'User';
  /** The user's address book, newest first. Only the user themself or an administrator may read it: anonymous requests get UNAUTHENTICATED, anyone else FORBIDDEN. */
  addresses: AddressConnection;
  /** When the account was created. */
  createdAt: Scalars['DateTime']['output'];
  /** The address orders ship to unless another is chosen. Null when the book is empty, or unless the viewer is this user or an administrator. */
  defaultShippingAddress?: Maybe<Address>;
  /** Email address used to sign in. Null unless the viewer is this user or an administrator. */
  email?: Maybe<Scalars['String']['output']>;
  /** Stable identifier of the account (a UUID). */
  id: Scalars['ID']['output'];
  /** Display name, e.g. Ada Lovelace. */
  name: Scalars['String']['output'];
  /** Notifications sent to this user, newest first. Only the user themself or an admin may read them. */
  notifications: NotificationConnection;
  /** The user's orders, newest first. Only the user themself or an admin may read them. */
  orders: OrderConnection;
  /** Phone number in E.164 form, e.g. +4915112345678, used for SMS. Null when not given, or unless the viewer is this user or an administrator. */
  phone?: Maybe<Scalars['String']['output']>;
  /** What the account may do. */
  role: Role;
};


/** A person with an account in the shop. */
export type UserAddressesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** A person with an account in the shop. */
export type UserNotificationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** A person with an account in the shop. */
export type UserOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A page of user accounts. */
export type UserConnection = {
  __typename?: 'UserConnection';
  /** The accounts of this page, newest first. */
  edges: Array<UserEdge>;
  /** Whether more pages follow. */
  pageInfo: PageInfo;
};

/** A user with its cursor. */
export type UserEdge = {
  __typename?: 'UserEdge';
  /** Opaque cursor of this user; pass it as after for the next page. */
  cursor: Scalars['String']['output'];
  /** The user. */
  node: User;
};

/** A variant of a new product, or one added later. */
export type VariantInput = {
  /** Images of this variant (at most 10). */
  images?: InputMaybe<Array<ImageInput>>;
  /** Unit price. */
  price: MoneyInput;
  /** The variant's value of each option, in any order. */
  selectedOptions: Array<SelectedOptionInput>;
  /** Unique stock-keeping unit. */
  sku: Scalars['String']['input'];
  /** Initial stock (default 0). */
  stock?: InputMaybe<Scalars['Int']['input']>;
};

/** No variant has this id. */
export type VariantNotFoundError = Error & {
  __typename?: 'VariantNotFoundError';
  /** Human-readable description of what went wrong. */
  message: Scalars['String']['output'];
  /** The id that was looked up. */
  variantId: Scalars['ID']['output'];
};

/** Result of addVariant, updateVariant and removeVariant: the product with its variants. */
export type VariantResult = DuplicateSkuError | InvalidInputError | PriceLimitError | Product | ProductNotFoundError | StockLimitError | VariantNotFoundError;

export type HomeQueryVariables = Exact<{ [key: string]: never; }>;


export type HomeQuery = { __typename?: 'Query', categories: Array<{ __typename?: 'Category', id: string, slug: string, name: string }>, products: { __typename?: 'ProductConnection', edges: Array<{ __typename?: 'ProductEdge', node: { __typename?: 'Product', id: string, slug: string, name: string, inStock: boolean, price: { __typename?: 'Money', amount: number, currency: string } } }> } };

export type LogoutMutationVariables = Exact<{
  refreshToken: Scalars['String']['input'];
}>;


export type LogoutMutation = { __typename?: 'Mutation', logout: { __typename: 'LogoutSuccess' } };


export const HomeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Home"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"categories"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"products"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"8"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"price"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"inStock"}}]}}]}}]}}]}}]} as unknown as DocumentNode<HomeQuery, HomeQueryVariables>;
export const LogoutDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Logout"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"refreshToken"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logout"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"refreshToken"},"value":{"kind":"Variable","name":{"kind":"Name","value":"refreshToken"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}}]}}]}}]} as unknown as DocumentNode<LogoutMutation, LogoutMutationVariables>;