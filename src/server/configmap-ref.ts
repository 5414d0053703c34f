/**
 * The value of `-configmap`: NAMESPACE/NAME (key "Corefile", as kubeadm's ConfigMap coredns has
 * it) or NAMESPACE/NAME/KEY. Kept apart from configmap.ts so parsing the flag does not load the
 * Kubernetes client.
 */
export interface ConfigMapRef { namespace: string; name: string; key: string }

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Parse NAMESPACE/NAME[/KEY]; throws an Error saying what is wrong. */
export function parseConfigMapRef(v: string): ConfigMapRef {
  const parts = v.split('/');
  if (parts.length < 2 || parts.length > 3) throw new Error(`invalid value "${v}" for flag -configmap: want NAMESPACE/NAME or NAMESPACE/NAME/KEY`);
  const [namespace, name, key = 'Corefile'] = parts as [string, string, string?];
  if (!DNS1123_LABEL.test(namespace)) throw new Error(`invalid value "${v}" for flag -configmap: "${namespace}" is not a valid namespace name`);
  if (!DNS1123_SUBDOMAIN.test(name)) throw new Error(`invalid value "${v}" for flag -configmap: "${name}" is not a valid ConfigMap name`);
  if (!CONFIGMAP_KEY.test(key) || key === '.' || key === '..') throw new Error(`invalid value "${v}" for flag -configmap: "${key}" is not a valid ConfigMap key`);
  return { namespace, name, key };
}
