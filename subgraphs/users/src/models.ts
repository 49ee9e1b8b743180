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

/** An address of a user's address book as the repository returns it (validated when it was stored). */
export interface AddressModel {
  id: string;
  userId: string;
  name: string;
  company: string | null;
  line1: string;
  line2: string | null;
  postalCode: string;
  city: string;
  region: string | null;
  country: string;
  phone: string | null;
  isDefaultShipping: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Insertion order (an identity column): the address book's newest-first order and its cursor. */
  seq: number;
}

/** A country of COUNTRIES (@shop/config), as Query.countries answers it. */
export type { Country as CountryModel } from '@shop/config';
