declare const __NODEVOY_CORE_VERSION__: string;

/** This core's version; extensions declare the range they work with against it. */
export const CORE_VERSION: string = __NODEVOY_CORE_VERSION__;
