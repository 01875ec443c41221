/** Reading one thing from the API for a page: its value, its error, and `reload`. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Resource<A> {
  readonly value: A | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

export const useResource = <A>(
  load: () => Promise<A>,
  deps: ReadonlyArray<unknown>,
): Resource<A> => {
  const [value, setValue] = useState<A | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    load().then(
      (v) => {
        if (mine !== generation.current) return;
        setValue(v);
        setError(undefined);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  }, deps);
  useEffect(() => {
    setValue(undefined);
    reload();
  }, [reload]);
  return { value, error, reload };
};
