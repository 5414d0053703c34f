/** The version this build reports (-version, coredns_build_info). Kept in step with package.json. */
export const VERSION = '0.1.0';
