import type Docker from 'dockerode';

/** The part of a Docker Engine API create body that comes from a service's `args`. */
export type CreateBody = Omit<Docker.ContainerCreateOptions, 'name' | 'abortSignal'> & {
  HostConfig: Docker.HostConfig;
};

/** What `args` contributes: Engine API fields, plus env files to be read by the I/O layer. */
export interface RunOptions {
  body: CreateBody;
  /** Paths from `--env-file`, in order; read (and merged before `-e` values) by the deploy layer. */
  envFiles: string[];
  /** `-e KEY` entries (in body.Env) whose value came from rundock's environment: kept out of the spec hash like env files. */
  inheritedEnv?: string[] | undefined;
}

/** Host addresses that `$PRIVATE_IP` and `$PUBLIC_IP` expand to; undefined when not known. */
export interface HostVars {
  PRIVATE_IP?: string | undefined;
  PUBLIC_IP?: string | undefined;
}
