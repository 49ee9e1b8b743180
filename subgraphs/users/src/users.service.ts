import { canAccess, requireViewer, type TokenSigner, type Viewer } from '@shop/auth';
import { unauthenticated } from '@shop/errors';
import { isWellFormed } from '@shop/graphql';
import type { Logger } from '@shop/server';
import type { ContactReply } from '@shop/messaging';
import type { ProfileChanges, UserModel } from './models';
import type { PasswordHasher } from './passwords';
import type { UsersRepository } from './users.repository';
import {
  checkPassword,
  invalidInput,
  isInvalid,
  normalizeEmail,
  normalizeName,
  normalizePhone,
  PASSWORD_MAX,
  type InvalidInput,
} from './validation';

export interface AuthPayload {
  __typename: 'AuthPayload';
  token: string;
  expiresAt: Date;
  user: UserModel;
}
export interface EmailTaken {
  __typename: 'EmailTakenError';
  message: string;
  email: string;
}
export interface InvalidCredentials {
  __typename: 'InvalidCredentialsError';
  message: string;
}
export interface TooManyAttempts {
  __typename: 'TooManyAttemptsError';
  message: string;
  retryAfterSeconds: number;
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
  passwords: PasswordHasher;
  signer: TokenSigner;
  log: Logger;
  /** Failed logins per email within the window before further attempts are refused. */
  maxLoginFailures: number;
  loginWindowSeconds: number;
}

const INVALID_CREDENTIALS: InvalidCredentials = {
  __typename: 'InvalidCredentialsError',
  message: 'The email address or password is wrong',
};

/** The rules of accounts: validation, registration, sign-in with throttling, profiles, contacts. */
export class UsersService {
  constructor(private readonly deps: UsersServiceDeps) {}

  private async issue(user: UserModel): Promise<AuthPayload> {
    const { token, expiresAt } = await this.deps.signer.sign({
      id: user.id,
      role: user.role,
      email: user.email,
    });
    return { __typename: 'AuthPayload', token, expiresAt, user };
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

  async login(input: { email: string; password: string }): Promise<LoginOutcome> {
    const email = normalizeEmail(input.email);
    if (isInvalid(email)) return email;
    if (input.password.length > PASSWORD_MAX * 4) {
      return invalidInput('password', `password must be at most ${PASSWORD_MAX} characters`);
    }
    // No password is ill-formed (register refuses it), and argon2 would hash U+FFFD in its place.
    if (!isWellFormed(input.password))
      return invalidInput('password', 'password must be well-formed Unicode text');
    const { maxLoginFailures: max, loginWindowSeconds: window } = this.deps;
    const failures = await this.deps.repository.recentFailures(email, window);
    if (failures.count >= max && failures.oldest) {
      const retryAt = failures.oldest.getTime() + window * 1000;
      const retryAfterSeconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
      this.deps.log.warn({ retryAfterSeconds }, 'login throttled');
      return {
        __typename: 'TooManyAttemptsError',
        message: `Too many failed sign-ins for this email address; try again in ${retryAfterSeconds} seconds`,
        retryAfterSeconds,
      };
    }
    const user = await this.deps.repository.authenticate(email, input.password);
    if (!user) {
      await this.deps.repository.recordFailure(email, window);
      this.deps.log.info({ failures: failures.count + 1 }, 'login failed');
      return INVALID_CREDENTIALS;
    }
    if (failures.count > 0) await this.deps.repository.clearFailures(email);
    this.deps.log.info({ userId: user.id }, 'user signed in');
    return this.issue(user);
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

  /** User entities for a batch of ids (one query), null for an unknown id; names are public. */
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

  /** users.contact: what notifications needs to reach a user. */
  async contact(userId: string): Promise<ContactReply> {
    const user = await this.deps.repository.findById(userId);
    if (!user) return { ok: false, code: 'NOT_FOUND', message: `no user ${userId}` };
    return { ok: true, id: user.id, name: user.name, email: user.email, phone: user.phone };
  }
}
