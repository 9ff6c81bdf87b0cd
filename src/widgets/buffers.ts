/** Widget state that arrives in binary buffers. */

/**
 * The kernel sends each encoded array's bytes as a binary buffer (widget.py _arrays_as_buffers),
 * which ipywidgets hands over as a DataView: made a Uint8Array, which decodeArray reads as it
 * reads base64 text.
 */
export function buffersAsBytes(value: unknown): unknown {
  if (value instanceof DataView) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) {
    return value.map(buffersAsBytes);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, buffersAsBytes(item)]));
  }
  return value;
}
