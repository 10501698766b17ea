// Declares what the sample keeps in a session, so @Session('cart') and req.session are typed.
declare module 'nestjs-secure-session' {
  interface SessionData {
    cart: string[];
  }
}

// A module, so the block above augments the package's SessionData instead of declaring it.
export {};
