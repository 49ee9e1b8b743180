import { canAccess, requireAdmin, requireViewer, type TokenSigner, type Viewer } from '@shop/auth';
import type { AddressInput } from '@shop/config';
import { badUserInput, unauthenticated } from '@shop/errors';
import {
  decodeCursor,
  encodeCursor,
  isWellFormed,
  pageSize,
  toConnection,
  type Connection,
} from '@shop/graphql';
import type { Logger } from '@shop/server';
import { isUserId, type AddressReply, type ContactReply } from '@shop/messaging';
import type { AddressesRepository } from './addresses.repository';
import type { AddressModel, CountryModel, ProfileChanges, UserModel } from './models';
import type { PasswordHasher } from './passwords';
import type { PasswordResetsRepository } from './resets.repository';
import type { SessionPolicy, SessionsRepository } from './sessions.repository';
import { UNKNOWN_ADDRESS, type ThrottlePolicy } from './throttle';
import type { UsersRepository } from './users.repository';
import * as resets from './users.resets';
import * as sessions from './users.sessions';
import type { AuthPayload, InvalidCredentials, TooManyAttempts } from './users.sessions';
import {
  checkPassword,
  CONTROL,
  invalidInput,
  isInvalid,
  normalizeEmail,
  normalizeName,
  normalizePhone,
  PASSWORD_MAX,
  type InvalidInput,
} from './validation';
import * as book from './users.addresses';

export type { AuthPayload, InvalidCredentials, TooManyAttempts } from './users.sessions';

export interface EmailTaken {
  __typename: 'EmailTakenError';
  message: string;
  email: string;
}
export interface ProfileUpdated {
  __typename: 'UpdateProfileSuccess';
  user: UserModel;
}

export type RegisterOutcome = AuthPayload | EmailTaken | InvalidInput;
export type LoginOutcome = AuthPayload | InvalidCredentials | TooManyAttempts | InvalidInput;
export type UpdateProfileOutcome = ProfileUpdated | InvalidInput;

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  phone?: string | null;
}

export interface UsersServiceDeps {
  repository: UsersRepository;
  /** The address book's table (users.addresses.ts has its rules). */
  addresses: AddressesRepository;
  passwords: PasswordHasher;
  signer: TokenSigner;
  log: Logger;
  /** Sign-in throttling (throttle.ts): per account and client address, and per client address. */
  throttle: ThrottlePolicy;
  /** Sessions and their refresh tokens (users.sessions.ts). */
  sessions: SessionsRepository;
  sessionPolicy: SessionPolicy;
  /** Password reset tokens and their throttle (users.resets.ts). */
  resets: PasswordResetsRepository;
  resetPolicy: resets.ResetPolicy;
  /** notifications.password_reset: emails the reset link. */
  mailer: resets.PasswordResetMailer;
  /** Reset emails being sent after their answer. */
  deliveries: resets.Deliveries;
}

/** Where a sign-in comes from: the throttling bucket of the client's address (clientBucket). */
export interface LoginOrigin {
  clientAddress: string;
}

/** Bounds of Query.customers' search text, in characters after trimming. */
export const SEARCH_MIN = 1;
export const SEARCH_MAX = 100;

/** A customers cursor: [created_at in microseconds since the epoch, as decimal text; the user id]. */
const isCustomerCursor = (value: unknown): value is [string, string] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  /^\d{1,18}$/.test(value[0]) &&
  isUserId(value[1]);

/** The ILIKE pattern "contains search": the LIKE wildcards % and _ (and the escape \) match themselves. */
export function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const INVALID_CREDENTIALS: InvalidCredentials = {
  __typename: 'InvalidCredentialsError',
  message: 'The email address or password is wrong',
};

/** The rules of accounts: validation, registration, sign-in with throttling, profiles, contacts. */
export class UsersService {
  constructor(private readonly deps: UsersServiceDeps) {}

  /** A sign-in: a new session (refresh token) and an access token. */
  private issue(user: UserModel): Promise<AuthPayload> {
    return sessions.signIn(this.deps, user);
  }

  private validateNewAccount(input: RegisterInput) {
    const email = normalizeEmail(input.email);
    if (isInvalid(email)) return email;
    const password = checkPassword(input.password);
    if (isInvalid(password)) return password;
    const name = normalizeName(input.name);
    if (isInvalid(name)) return name;
    const phone = input.phone === undefined || input.phone === null ? null : normalizePhone(input.phone);
    if (isInvalid(phone)) return phone;
    return { email, password, name, phone };
  }

  async register(input: RegisterInput): Promise<RegisterOutcome> {
    const account = this.validateNewAccount(input);
    if (isInvalid(account)) return account;
    const passwordHash = await this.deps.passwords.hash(account.password);
    const user = await this.deps.repository.create({ ...account, role: 'CUSTOMER', passwordHash });
    if (!user) {
      return {
        __typename: 'EmailTakenError',
        message: 'An account with this email address already exists',
        email: input.email,
      };
    }
    this.deps.log.info({ userId: user.id }, 'user registered');
    return this.issue(user);
  }

  /**
   * Signs in. The attempt is counted (UsersRepository.countLoginAttempt) before the password is
   * compared, so a burst of parallel guesses gets at most the throttle's number of comparisons; a
   * refused attempt compares nothing and says how long to wait (TooManyAttemptsError). Throttling
   * is per account *and client address* (and per address), so failures from one address never
   * keep the account's owner out from another.
   */
  async login(
    input: { email: string; password: string },
    origin: LoginOrigin = { clientAddress: UNKNOWN_ADDRESS },
  ): Promise<LoginOutcome> {
    const email = normalizeEmail(input.email);
    if (isInvalid(email)) return email;
    if (input.password.length > PASSWORD_MAX * 4) {
      return invalidInput('password', `password must be at most ${PASSWORD_MAX} characters`);
    }
    // No password is ill-formed (register refuses it), and argon2 would hash U+FFFD in its place.
    if (!isWellFormed(input.password))
      return invalidInput('password', 'password must be well-formed Unicode text');
    const { clientAddress } = origin;
    const attempt = await sessions.throttledAttempt(this.deps, email, clientAddress);
    if ('__typename' in attempt) return attempt;
    const user = await this.deps.repository.authenticate(email, input.password);
    if (!user) {
      this.deps.log.info({ failures: attempt.failures }, 'login failed');
      return INVALID_CREDENTIALS;
    }
    await this.deps.repository.loginSucceeded(email, clientAddress);
    this.deps.log.info({ userId: user.id }, 'user signed in');
    return this.issue(user);
  }

  /** Forgets throttling buckets without a failure within the window (a job in app.ts). */
  pruneLoginThrottle(): Promise<number> {
    return this.deps.repository.pruneLoginThrottle(this.deps.throttle.windowSeconds);
  }

  // ---- sessions (users.sessions.ts) and password reset (users.resets.ts) ------------------------

  /** refreshSession: rotates the refresh token; a spent one revokes its session. */
  refreshSession(refreshToken: string): Promise<sessions.RefreshSessionOutcome> {
    return sessions.refreshSession(this.deps, refreshToken);
  }

  /** logout: revokes the token's session; the same answer whatever the token. */
  logout(refreshToken: string): Promise<sessions.LogoutSuccess> {
    return sessions.logout(this.deps, refreshToken);
  }

  /** logoutEverywhere: revokes every session of the signed-in user. */
  logoutEverywhere(viewer: Viewer | null): Promise<sessions.LogoutEverywhereSuccess> {
    return sessions.logoutEverywhere(this.deps, viewer);
  }

  /** changePassword: checked like a login; revokes every session and opens the caller's new one. */
  changePassword(
    viewer: Viewer | null,
    input: { currentPassword: string; newPassword: string },
    origin: LoginOrigin = { clientAddress: UNKNOWN_ADDRESS },
  ): Promise<sessions.ChangePasswordOutcome> {
    return sessions.changePassword(this.deps, viewer, input, origin.clientAddress);
  }

  /** requestPasswordReset: the same answer for every address; the email is sent after it. */
  requestPasswordReset(
    email: string,
    origin: LoginOrigin = { clientAddress: UNKNOWN_ADDRESS },
  ): Promise<resets.RequestPasswordResetOutcome> {
    return resets.requestPasswordReset(this.deps, email, origin.clientAddress);
  }

  /** resetPassword: spends the reset token, sets the password, revokes every session. */
  resetPassword(token: string, newPassword: string): Promise<resets.ResetPasswordOutcome> {
    return resets.resetPassword(this.deps, token, newPassword);
  }

  /** Deletes old sessions, reset tokens and reset throttle windows (a job in app.ts). */
  async pruneSessions(): Promise<number> {
    const ended = await this.deps.sessions.prune();
    return ended + (await this.deps.resets.prune(this.deps.resetPolicy.windowSeconds));
  }

  async updateProfile(
    viewer: Viewer | null,
    input: { name?: string | null; phone?: string | null },
  ): Promise<UpdateProfileOutcome> {
    const { id } = requireViewer(viewer);
    const changes: ProfileChanges = {};
    if (input.name === null) return invalidInput('name', 'name cannot be removed');
    if (input.name !== undefined) {
      const name = normalizeName(input.name);
      if (isInvalid(name)) return name;
      changes.name = name;
    }
    if (input.phone !== undefined) {
      const phone = input.phone === null ? null : normalizePhone(input.phone);
      if (isInvalid(phone)) return phone;
      changes.phone = phone;
    }
    const user =
      changes.name === undefined && changes.phone === undefined
        ? await this.deps.repository.findById(id)
        : await this.deps.repository.updateProfile(id, changes);
    if (!user) throw unauthenticated('The account of this token no longer exists');
    return { __typename: 'UpdateProfileSuccess', user };
  }

  /** Creates the configured administrator when missing (or promotes an existing account). */
  async ensureAdmin(emailInput: string, password: string): Promise<UserModel> {
    const account = this.validateNewAccount({ email: emailInput, password, name: 'Administrator' });
    if (isInvalid(account)) throw new Error(`ADMIN_EMAIL/ADMIN_PASSWORD rejected: ${account.message}`);
    const existing = await this.deps.repository.findByEmail(account.email);
    if (existing?.role === 'ADMIN') return existing;
    const passwordHash = await this.deps.passwords.hash(account.password);
    const admin = await this.deps.repository.upsertAdmin({ ...account, role: 'ADMIN', passwordHash });
    this.deps.log.info({ userId: admin.id }, 'administrator account ensured');
    return admin;
  }

  /**
   * User entities for a batch of ids (one query), null for an unknown id; names are public. Only
   * the issued form (isUserId: a lower-case UUID) names a user: any other form is null and never
   * reaches the query.
   */
  usersByIds(ids: readonly string[]): Promise<(UserModel | null)[]> {
    return this.deps.repository.findByIds(ids);
  }

  /**
   * Email and phone are for the user themself (by token, or `signedIn`: the accounts that proved
   * their credentials in this request, whose AuthPayload shows them without a token) and for
   * administrators.
   */
  canSeeContact(viewer: Viewer | null, userId: string, signedIn: ReadonlySet<string>): boolean {
    return canAccess(viewer, userId) || signedIn.has(userId);
  }

  /**
   * Query.customers, administrators only: CUSTOMER accounts newest first, optionally those whose
   * email or name contains `search` (case-insensitive; trimmed, 1 to 100 characters, no control
   * characters, else BAD_USER_INPUT).
   */
  async customers(
    viewer: Viewer | null,
    search: string | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Connection<UserModel>> {
    requireAdmin(viewer);
    const limit = pageSize(first);
    let pattern: string | null = null;
    if (search !== null && search !== undefined) {
      if (search.length > SEARCH_MAX * 4 || !isWellFormed(search))
        throw badUserInput(`search must be ${SEARCH_MIN} to ${SEARCH_MAX} characters of text`, 'search');
      const text = search.normalize('NFC').trim();
      const length = [...text].length;
      if (length < SEARCH_MIN || length > SEARCH_MAX || CONTROL.test(text))
        throw badUserInput(
          `search must be ${SEARCH_MIN} to ${SEARCH_MAX} characters without control characters`,
          'search',
        );
      pattern = containsPattern(text);
    }
    const cursor = after ? decodeCursor(after, isCustomerCursor) : null;
    const rows = await this.deps.repository.listCustomers(
      pattern,
      limit + 1,
      cursor ? { micros: cursor[0], id: cursor[1] } : null,
    );
    return toConnection(rows, limit, (u) => encodeCursor([u.cursorMicros, u.id]), cursor !== null);
  }

  // ---- the address book (users.addresses.ts) -------------------------------------------------

  /** User.addresses: the owner or an admin; anonymous UNAUTHENTICATED, anyone else FORBIDDEN. */
  addresses(
    viewer: Viewer | null,
    userId: string,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Connection<AddressModel>> {
    return book.listAddresses(this.deps, viewer, userId, first, after);
  }

  /** User.defaultShippingAddress per user (one query); null unless the viewer is that user or an admin. */
  defaultShippingAddresses(
    viewer: Viewer | null,
    userIds: readonly string[],
  ): Promise<(AddressModel | null)[]> {
    return book.defaultShippingAddresses(this.deps, viewer, userIds);
  }

  createAddress(
    viewer: Viewer | null,
    input: AddressInput,
    makeDefault?: boolean | null,
  ): Promise<book.CreateAddressOutcome> {
    return book.createAddress(this.deps, viewer, input, makeDefault);
  }

  updateAddress(viewer: Viewer | null, id: string, input: AddressInput): Promise<book.UpdateAddressOutcome> {
    return book.updateAddress(this.deps, viewer, id, input);
  }

  deleteAddress(viewer: Viewer | null, id: string): Promise<book.DeleteAddressOutcome> {
    return book.deleteAddress(this.deps, viewer, id);
  }

  setDefaultShippingAddress(viewer: Viewer | null, id: string): Promise<book.SetDefaultOutcome> {
    return book.setDefaultShippingAddress(this.deps, viewer, id);
  }

  /** Query.countries: the countries the shop ships to (COUNTRIES of @shop/config). */
  countries(): readonly CountryModel[] {
    return book.countries();
  }

  /** users.address: orders asks for an address of a user's book (NOT_FOUND unless it is theirs). */
  address(userId: string, addressId: string): Promise<AddressReply> {
    return book.addressFor(this.deps, userId, addressId);
  }

  /** users.contact: what notifications needs to reach a user. */
  async contact(userId: string): Promise<ContactReply> {
    // Another form of an id (upper case, braces) is nobody, and is not even looked up.
    const user = isUserId(userId) ? await this.deps.repository.findById(userId) : null;
    if (!user) return { ok: false, code: 'NOT_FOUND', message: `no user ${userId}` };
    return { ok: true, id: user.id, name: user.name, email: user.email, phone: user.phone };
  }
}
