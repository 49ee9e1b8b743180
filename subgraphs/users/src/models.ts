import type { Role } from '@shop/auth';

/** A user account as the repository returns it. Never carries the password hash. */
export interface UserModel {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  createdAt: Date;
}

/** A new account, already validated and with its password hashed. */
export interface NewUser {
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  passwordHash: string;
}

/** Profile fields to change; undefined leaves a field as it is, null (phone) clears it. */
export interface ProfileChanges {
  name?: string;
  phone?: string | null;
}
