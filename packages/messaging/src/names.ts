/**
 * Every NATS subject, stream, consumer and bucket name, derived from one prefix so that a test run
 * (NATS_PREFIX=t123) never touches a developer's streams. With no prefix the names are the plain
 * ones from the design: `products.reserve`, `orders.paid`, stream `ORDERS`, ...
 */
export function natsNames(prefix = '') {
  if (prefix && !/^[A-Za-z0-9_-]+$/.test(prefix))
    throw new Error(`invalid NATS prefix ${JSON.stringify(prefix)}`);
  const s = (subject: string) => (prefix ? `${prefix}.${subject}` : subject);
  const n = (name: string) => (prefix ? `${prefix}_${name}` : name);
  return {
    prefix,
    /** Request-reply commands (NATS services). */
    commands: {
      productsReserve: s('products.reserve'),
      productsRelease: s('products.release'),
      ordersPayable: s('orders.payable'),
      usersContact: s('users.contact'),
      /** users asks notifications to email a password-reset link (request-reply: the token is never stored in a stream). */
      notificationsPasswordReset: s('notifications.password_reset'),
      /** One address of a user's address book (orders snapshots it at checkout). */
      usersAddress: s('users.address'),
      /** Live name, price and stock of products, reserving nothing (orders prices carts with it). */
      productsLookup: s('products.lookup'),
    },
    /** JetStream event subjects. Disjoint from command subjects, so streams never capture requests. */
    events: {
      paymentsSucceeded: s('payments.succeeded'),
      paymentsFailed: s('payments.failed'),
      ordersPaid: s('orders.paid'),
      ordersCancelled: s('orders.cancelled'),
      /** orders asks payments to give a charge back (a charge that paid nothing, an admin refund). */
      ordersRefundRequested: s('orders.refund_requested'),
      /** An admin refund was paid back: the customer is told. */
      ordersRefunded: s('orders.refunded'),
      /** An order was placed (PENDING_PAYMENT): live order updates start from it. */
      ordersPlaced: s('orders.placed'),
      /** A notification was sent (or failed for good): live order updates show it. */
      notificationsSent: s('notifications.sent'),
      /** An admin handed a paid order to a carrier: the customer gets the "shipped" email. */
      ordersFulfilled: s('orders.fulfilled'),
      /** A fulfilled order reached the customer. */
      ordersDelivered: s('orders.delivered'),
      paymentsRefunded: s('payments.refunded'),
      notificationsDeadLetter: s('notifications.deadletter'),
      ordersDeadLetter: s('orders.deadletter'),
      productsDeadLetter: s('products.deadletter'),
      paymentsDeadLetter: s('payments.deadletter'),
    },
    streams: {
      payments: n('PAYMENTS'),
      orders: n('ORDERS'),
      deadLetters: n('DEADLETTERS'),
      notifications: n('NOTIFICATIONS'),
    },
    /** Durable consumer names (one per consuming service and stream). */
    consumers: {
      ordersOnPayments: n('orders-payments'),
      productsOnOrdersCancelled: n('products-orders-cancelled'),
      productsOnOrdersPaid: n('products-orders-paid'),
      notificationsOnOrdersPaid: n('notifications-orders-paid'),
      paymentsOnRefundRequests: n('payments-orders-refund-requested'),
      notificationsOnOrdersRefunded: n('notifications-orders-refunded'),
      notificationsOnOrdersFulfilled: n('notifications-orders-fulfilled'),
      notificationsOnOrdersDelivered: n('notifications-orders-delivered'),
    },
    /** NATS service names (the services API requires [A-Za-z0-9_-]). */
    services: {
      products: n('products'),
      orders: n('orders'),
      users: n('users'),
      notifications: n('notifications'),
    },
    buckets: {
      notifications: n('notifications'),
    },
  };
}

export type NatsNames = ReturnType<typeof natsNames>;
