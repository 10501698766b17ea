import { IsString, Length } from 'class-validator';

/** Body of `POST /cart` (JSON) and of the sign-in page's form, `POST /cart/add`. */
export class AddItemDto {
  @IsString()
  @Length(1, 100)
  item!: string;
}
